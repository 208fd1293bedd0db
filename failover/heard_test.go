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

// Only the silence we asked about counts. A driver late to ping (its loop
// busy, its process waiting for a CPU) sends its next PING long after the
// last reply: the instance is not judged down the moment that PING goes
// out, before its answer can be read, but down-after after two ping
// periods before it. A driver that pings on time, give or take a tick,
// judges a dead instance down as soon as before: down-after after its
// last reply.
func TestSilenceNotAskedAboutIsNotCounted(t *testing.T) {
	r := newRig(t, 1, 2)
	pp, down := r.m.PingPeriod(r.timing), r.m.DownAfter(r.timing)
	replied := r.now
	r.advance(down + 100*time.Millisecond) // asked nothing meanwhile
	r.keepAlive(r.m.Master)                // the late PING, unanswered yet
	r.tick()
	if acts := r.drain(); has(acts, "+sdown") {
		t.Fatalf("judged down %v after its last reply, at our first PING since: %v", r.now.Sub(replied), events(acts))
	}
	asked := r.now
	r.advance(down - 2*pp - 10*time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	if acts := r.drain(); has(acts, "+sdown") {
		t.Fatalf("judged down %v after the late PING: %v", r.now.Sub(asked), events(acts))
	}
	r.advance(20 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	r.mustEmit(r.drain(), "+sdown")

	// On time, or a tick late (150 ms at most): down-after after the
	// last reply, not later.
	for _, late := range []time.Duration{0, 150 * time.Millisecond} {
		r = newRig(t, 1, 2)
		replied = r.now
		r.advance(pp + late)
		r.keepAlive(r.m.Master)
		r.advance(down - pp - late + 10*time.Millisecond)
		r.keepAlive(r.m.Master)
		r.tick()
		if acts := r.drain(); !has(acts, "+sdown") {
			t.Fatalf("pinged %v late and silent %v since its last reply (down-after %v), not judged down: %v", late, r.now.Sub(replied), down, events(acts))
		}
	}
}
