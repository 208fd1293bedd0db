package respserver

import "testing"

// The COMMAND tables are parsed on first use, so a bad capture would only
// show when a client first asks; parse them here instead.
func TestCommandTablesParse(t *testing.T) {
	tab, err := loadCommandTable()
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.names) != 15 || len(tab.docs) == 0 {
		t.Fatalf("%d commands, %d docs; want redis-sentinel 7.0's 15", len(tab.names), len(tab.docs))
	}
}
