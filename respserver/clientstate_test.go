package respserver

import (
	"strings"
	"testing"
	"time"
)

// TestHeldSilencedClient runs CLIENT PAUSE, CLIENT REPLY and pub/sub
// delivery on one client at once (run with -race): a RESP3 subscriber
// with replies off whose PUBLISH is held still gets the event published
// meanwhile, CLIENT LIST shows it blocked, and after UNPAUSE and REPLY ON
// it answers again.
func TestHeldSilencedClient(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	a, b := dial(t, addr), dial(t, addr)
	a.do("HELLO", "3")
	a.do("PSUBSCRIBE", "+monitor")
	if got := b.do("CLIENT", "PAUSE", "2000", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("CLIENT PAUSE: %q", got)
	}
	if _, err := a.nc.Write([]byte(encode("CLIENT", "REPLY", "OFF") + encode("PUBLISH", "x", "y"))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(b.do("CLIENT", "LIST"), "flags=Pb") {
		if time.Now().After(deadline) {
			t.Fatalf("the held client is not listed blocked: %q", b.do("CLIENT", "LIST"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.do("SENTINEL", "MONITOR", "held", "127.0.0.1", "7000", "1"); got != "+OK\r\n" {
		t.Fatalf("SENTINEL MONITOR: %q", got)
	}
	if got := a.readReply(); !strings.HasPrefix(got, ">4\r\n$8\r\npmessage\r\n") || !strings.Contains(got, "master held 127.0.0.1 7000") {
		t.Errorf("message to the held client: %q", got)
	}
	b.do("CLIENT", "UNPAUSE")
	// PUBLISH ran silenced; ON answers again.
	if got := a.do("CLIENT", "REPLY", "ON"); got != "+OK\r\n" {
		t.Errorf("CLIENT REPLY ON after the held PUBLISH: %q", got)
	}
	if got := a.do("PING"); got != "+PONG\r\n" {
		t.Errorf("PING: %q", got)
	}
}
