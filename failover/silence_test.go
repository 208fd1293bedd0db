package failover

import (
	"testing"
	"time"
)

// The +sdown of an instance comes with what it rested on: the silence up
// to what was read, the oldest unanswered PING, the last PING, and the
// driver's own reading lag, each measured from the machine's stamps.
func TestSilenceOfAnInstanceJudgedDown(t *testing.T) {
	r := newRig(t, 1, 2)
	rep := r.m.SortedReplicas()[0]
	r.keepAlive(rep) // the oldest PING it leaves unanswered
	r.advance(1200 * time.Millisecond)
	r.keepAlive(rep)
	r.advance(200 * time.Millisecond)
	r.m.HeardUpTo(r.now.Add(-50 * time.Millisecond))
	r.tick()
	acts := r.drain()
	var node *Node
	for _, a := range acts {
		if a.Kind == Emit && a.Event.Kind == "+sdown" {
			node = a.Node
		}
	}
	if node != rep {
		t.Fatalf("+sdown names node %v, want the replica (events %v)", node, events(acts))
	}
	got := r.m.SilenceOf(node, r.now)
	want := Silence{Silent: 1350 * time.Millisecond, Unanswered: 1400 * time.Millisecond, SincePing: 200 * time.Millisecond, ReadLag: 50 * time.Millisecond}
	if got != want {
		t.Fatalf("SilenceOf = %+v, want %+v", got, want)
	}
	r.answer(rep)
	if got := r.m.SilenceOf(rep, r.now); got.Unanswered != 0 || got.SincePing != 0 || got.Silent != 0 {
		t.Fatalf("after an answer now: %+v", got)
	}
}
