package respserver

import (
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/event"
)

// A debug-level event is logged, never published: redis-sentinel's
// sentinelEvent publishes every level but LL_DEBUG. The next event of
// any other level is the first a subscriber reads.
func TestDebugEventsAreNotPublished(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	if got := c.do("PSUBSCRIBE", "*"); !strings.HasPrefix(got, "*3\r\n$10\r\npsubscribe\r\n") {
		t.Fatalf("PSUBSCRIBE: %q", got)
	}
	f.bus.Publish(event.Event{Level: event.LevelDebug, Kind: "+script-child", Text: "4242"})
	for _, l := range []event.Level{event.LevelVerbose, event.LevelNotice, event.LevelWarning} {
		f.bus.Publish(event.Event{Level: l, Kind: "+tilt", Text: "#tilt mode entered"})
		got := c.readReply()
		if strings.Contains(got, "script-child") {
			t.Fatalf("debug event published: %q", got)
		}
		if !strings.Contains(got, "+tilt") {
			t.Fatalf("level %d event: %q", l, got)
		}
	}
}
