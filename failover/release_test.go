package failover

import (
	"testing"
	"time"
)

// Release hands the array of actions carried out back for the next
// decisions (any machine's: a pool shared through Env, emptied by the GC,
// so an idle master keeps none); the actions are cleared first, and what
// Ready returns after is exactly the new decisions, whether or not the
// array was reused.
func TestReleaseClearsAndNextDecisionsAreExact(t *testing.T) {
	r := newRig(t, 1, 2)
	r.keepAlive(r.m.Master)
	r.advance(1500 * time.Millisecond)
	r.tick()
	first := r.m.Ready()
	if !has(first, "+sdown") {
		t.Fatalf("no +sdown after down-after: %v", events(first))
	}
	r.m.Release(first)
	if first[0].Kind != 0 || first[0].Node != nil || first[0].Event.Kind != "" {
		t.Fatal("Release kept what the actions pointed to")
	}
	r.peersSay(true, 0)
	r.tick()
	second := r.m.Ready()
	if len(second) == 0 {
		t.Fatal("no decisions after the peers agreed")
	}
	if !has(second, "+odown") || has(second, "+sdown") {
		t.Errorf("decisions after Release: %v", events(second))
	}
	// A slice not released is never handed out again while in use.
	r.advance(time.Second)
	r.tick()
	if third := r.m.Ready(); len(third) > 0 && len(second) > 0 && &third[:1][0] == &second[:1][0] {
		t.Error("an array not released was reused")
	}
}
