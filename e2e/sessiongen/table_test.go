package sessiongen

import "testing"

func TestLoadTable(t *testing.T) {
	tab, err := LoadTable("../../commandtable/data")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Commands) < 10 {
		t.Fatalf("%d commands", len(tab.Commands))
	}
	m := tab.Lookup("sentinel|monitor")
	if m == nil || m.Arity != 6 || len(m.Args) != 4 || m.Args[2].Type != "integer" {
		t.Fatalf("sentinel|monitor: %+v", m)
	}
	k := tab.Lookup("client|kill")
	if k == nil || len(k.Args) != 1 || k.Args[0].Type != "oneof" {
		t.Fatalf("client|kill: %+v", k)
	}
}
