package failover

import (
	"testing"
	"time"
)

// A driver that has not read what came since HeardUpTo's moment does not
// take its own lateness for the instances' silence: nothing is judged
// down until what was read shows the silence.
func TestSilenceJudgedUpToWhatWasRead(t *testing.T) {
	r := newRig(t, 1, 2)
	read := r.now
	r.keepAlive(r.m.Master)
	r.advance(6 * time.Second) // past down-after and five ping periods, for everyone
	r.m.HeardUpTo(read.Add(500 * time.Millisecond))
	r.tick()
	if acts := r.drain(); has(acts, "+sdown") {
		t.Fatalf("judged down for our own lateness: %v", events(acts))
	}
	if rep := r.m.SelectReplica(r.now, r.timing); rep == nil {
		t.Fatal("the replica was not a good one for our own lateness")
	}
	r.m.HeardUpTo(r.now)
	r.tick()
	if acts := r.drain(); !has(acts, "+sdown") {
		t.Fatalf("no +sdown once caught up: %v", events(acts))
	}
}

// An INFO read after the moment the loop was last caught up is fresh, not
// "never" (a negative age): the leader of a 1,000-master run waited for
// INFO it had, then aborted eight failovers.
func TestInfoReadAfterHeardIsFresh(t *testing.T) {
	r := newRig(t, 1, 2)
	read := r.now
	r.advance(time.Second)
	r.keepAlive(r.m.Master)
	rep := r.m.SortedReplicas()[0]
	r.info(rep, replicaInfoText(masterAddr, true, 100))
	r.m.HeardUpTo(read)
	if got := r.m.SelectReplica(r.now, r.timing); got != rep {
		t.Fatalf("replica with INFO newer than HeardUpTo not selected: %v", got)
	}
}
