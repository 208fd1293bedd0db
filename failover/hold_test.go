package failover

import (
	"testing"
	"time"
)

// A master in maintenance: ODOWN as always, but no attempt, one
// +failover-held, and no vote for a peer's attempt; SENTINEL FAILOVER
// still works.
func TestMaintenanceHoldsFailover(t *testing.T) {
	r := newRig(t, 2, 2)
	r.m.Config.Maintenance = true
	acts := r.masterDies()
	r.mustEmit(acts, "+sdown")
	r.peersSay(true, 0)
	acts = r.drain()
	r.mustEmit(acts, "+odown", "+failover-held")
	if has(acts, "+try-failover") || r.m.InProgress() {
		t.Fatalf("failover started in maintenance: %v", events(acts))
	}
	for range 3 {
		r.advance(time.Second)
		r.keepAlive(r.m.Master)
		r.tick()
	}
	if acts := r.drain(); has(acts, "+failover-held") || has(acts, "+try-failover") {
		t.Fatalf("again: %v", events(acts))
	}
	b, _ := r.m.Vote(5, peerID(0), r.now)
	if b.Leader == peerID(0) || has(r.drain(), "+vote-for-leader") {
		t.Fatalf("voted in maintenance: %+v", b)
	}
	if r.m.env.Epochs.Current() != 5 {
		t.Fatalf("epoch %d: a held vote still moves the epoch", r.m.env.Epochs.Current())
	}
	if err := r.m.UserFailover(r.now, r.timing, true); err != nil {
		t.Fatalf("SENTINEL FAILOVER in maintenance: %v", err)
	}
	r.mustEmit(r.drain(), "+selected-slave")

	// Out of maintenance the group fails over again.
	r2 := newRig(t, 2, 2)
	r2.m.Config.Maintenance = true
	r2.masterDies()
	r2.peersSay(true, 0)
	r2.drain()
	r2.m.Config.Maintenance = false
	r2.advance(100 * time.Millisecond)
	r2.keepAlive(r2.m.Master)
	r2.tick()
	r2.mustEmit(r2.drain(), "+try-failover")
}

// After a switch, the new master is not failed over again within the
// block period; after it, it is.
func TestBlockPeriodAfterSwitch(t *testing.T) {
	r := newRig(t, 2, 2)
	r.m.Config.BlockPeriod = time.Minute
	r.m.Hello(hello(peerID(0), 26379, 3, replicaAddr(1), 3), r.now)
	r.mustEmit(r.drain(), "+switch-master")
	for _, n := range r.m.Nodes() {
		r.answer(n)
	}
	r.masterDies()
	r.peersSay(true, 3)
	acts := r.drain()
	r.mustEmit(acts, "+odown", "+failover-held")
	if has(acts, "+try-failover") || r.m.Held(r.now) != "failover-block-period" {
		t.Fatalf("failover within the block period: %v", events(acts))
	}
	r.advance(time.Minute)
	r.keepAlive(r.m.Master)
	r.tick()
	r.peersSay(true, 3)
	r.mustEmit(r.drain(), "+try-failover")
}

// The pre-failover check runs once we lead, before a replica is chosen;
// its failure aborts the attempt, the next attempt runs it again, and its
// success lets the failover go on.
func TestPreFailoverVeto(t *testing.T) {
	r := newRig(t, 2, 2)
	r.m.Config.PreFailover = true
	r.masterDies()
	r.peersSay(true, 0)
	r.drain()
	r.peersSay(true, 1, me, me)
	acts := r.drain()
	r.mustEmit(acts, "+elected-leader", "+pre-failover")
	pf := ofKind(acts, PreFailover)
	if len(pf) != 1 || pf[0].Epoch != 1 || has(acts, "+selected-slave") {
		t.Fatalf("pre-failover: %+v %v", pf, events(acts))
	}
	r.advance(100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	if acts := r.drain(); has(acts, "+selected-slave") || len(ofKind(acts, PreFailover)) != 0 {
		t.Fatalf("went on while the check runs: %v", events(acts))
	}
	r.m.PreFailoverDone(1, false, "exit status 3", r.now, r.timing)
	acts = r.drain()
	r.mustEmit(acts, "-failover-abort-vetoed")
	if r.m.InProgress() {
		t.Fatal("vetoed failover still in progress")
	}
	// The next attempt (after twice the failover timeout) asks again.
	r.advance(21 * time.Second)
	r.keepAlive(r.m.Master)
	r.tick()
	r.peersSay(true, 0)
	r.drain()
	r.peersSay(true, 2, me, me)
	acts = r.drain()
	pf = ofKind(acts, PreFailover)
	if len(pf) != 1 || pf[0].Epoch != 2 {
		t.Fatalf("second attempt: %+v %v", pf, events(acts))
	}
	for _, n := range r.m.SortedReplicas() {
		r.info(n, replicaInfoText(masterAddr, true, 100))
	}
	r.m.PreFailoverDone(1, true, "", r.now, r.timing) // stale: ignored
	if has(r.drain(), "+selected-slave") {
		t.Fatal("a stale answer let the failover on")
	}
	r.m.PreFailoverDone(2, true, "", r.now, r.timing)
	r.mustEmit(r.drain(), "+selected-slave")
}

func TestPreFailoverTimeout(t *testing.T) {
	r := newRig(t, 2, 2)
	r.m.Config.PreFailover = true
	r.masterDies()
	r.peersSay(true, 0)
	r.drain()
	r.peersSay(true, 1, me, me)
	r.drain()
	r.advance(11 * time.Second)
	r.keepAlive(r.m.Master)
	r.tick()
	r.mustEmit(r.drain(), "-failover-abort-vetoed")
}
