package respserver

import (
	"os"
	"testing"
)

// TestCommandReplaysCapture: in RESP3, COMMAND answers the captured
// redis-sentinel reply byte for byte, so parsing the capture and
// replaying its values (writeValue) loses nothing.
func TestCommandReplaysCapture(t *testing.T) {
	want, err := os.ReadFile("../commandtable/data/command.resp")
	if err != nil {
		t.Fatal(err)
	}
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	c.do("HELLO", "3")
	if got := c.do("COMMAND"); got != string(want) {
		t.Fatalf("COMMAND differs from the capture: %d bytes, want %d", len(got), len(want))
	}
}
