package failover

import (
	"testing"
	"time"
)

// Release lets the next decisions reuse the array of those carried out,
// and what Ready returns after is exactly the new decisions.
func TestReleaseReusesTheArray(t *testing.T) {
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
	if &second[:1][0] != &first[:1][0] {
		t.Error("the released array was not reused")
	}
	if !has(second, "+odown") || has(second, "+sdown") {
		t.Errorf("decisions after Release: %v", events(second))
	}
	// A slice in use is never handed out twice: the next one is new.
	third := r.m.Ready()
	r.advance(time.Second)
	r.tick()
	if third = r.m.Ready(); len(third) > 0 && &third[:1][0] == &second[:1][0] {
		t.Error("an array not released was reused")
	}
}
