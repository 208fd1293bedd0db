package failover

import (
	"slices"
	"testing"
	"time"
)

// isolate lets every peer and replica go silent past down-after while
// the master keeps answering (Aphyr's partition seen from the master's
// side), ticking as it goes.
func isolate(r *rig) []Action {
	return silence(r, append(r.m.SortedPeers(), r.m.SortedReplicas()...)...)
}

// silence lets the nodes listed go silent for 1.2 s (past down-after)
// while the others answer, ticking every 100 ms.
func silence(r *rig, quiet ...*Node) []Action {
	var acts []Action
	for range 12 {
		r.advance(100 * time.Millisecond)
		r.keepAlive(quiet...)
		r.tick()
		acts = append(acts, r.drain()...)
	}
	return acts
}

// reconnect makes every node answer again and ticks.
func reconnect(r *rig) []Action {
	r.advance(100 * time.Millisecond)
	r.keepAlive()
	r.tick()
	return r.drain()
}

func TestIsolatedSentinelFailsClosed(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick() // a majority reachable: the group was reached
	r.drain()
	if r.m.Isolated {
		t.Fatal("isolated with every peer answering")
	}
	acts := isolate(r)
	if !r.m.Isolated {
		t.Fatalf("not isolated with both peers down: %v", events(acts))
	}
	r.mustEmit(acts, "+isolated")
	drops := ofKind(acts, DropClients)
	if len(drops) != 1 || drops[0].Node != r.m.Master {
		t.Fatalf("want one DropClients of the master, got %+v", drops)
	}
	if tx := drops[0].Tx(""); !slices.EqualFunc(tx, [][]string{{"CLIENT", "KILL", "TYPE", "normal"}}, slices.Equal) {
		t.Fatalf("tx %q", tx)
	}
	// Still cut off: nothing more.
	if more := isolate(r); len(ofKind(more, DropClients)) != 0 || has(more, "+isolated") {
		t.Fatalf("again while still isolated: %v", events(more))
	}
	acts = reconnect(r)
	if r.m.Isolated {
		t.Fatal("still isolated after the peers answered")
	}
	r.mustEmit(acts, "-isolated")
}

// One peer of two down leaves a majority (us and the other): not cut off.
func TestOnePeerDownIsNotIsolation(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick()
	acts := silence(r, append(r.m.SortedReplicas(), r.m.SortedPeers()[0])...)
	if r.m.Isolated || len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("isolated with one of two peers down: %v", events(acts))
	}
}

// Both peers down but the replica still answering: the peers died, or
// only the sentinels' links are cut; no failover can happen out of our
// sight (a group of two that loses one keeps serving its clients).
func TestPeersDownReplicasUpIsNotIsolation(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick()
	acts := silence(r, r.m.SortedPeers()...)
	if r.m.Isolated || len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("isolated with every replica answering: %v", events(acts))
	}
}

// A sentinel that never reached its group (restarted while its peers are
// not connected yet) is not cut off from it: it answers as redis-sentinel
// does until it has.
func TestNeverReachedGroupIsNotIsolation(t *testing.T) {
	r := newRig(t, 1, 2)
	for _, si := range r.m.SortedPeers() {
		si.Disconnected = true // their links never came up
	}
	acts := isolate(r)
	if r.m.Isolated || len(ofKind(acts, DropClients)) != 0 || has(acts, "+isolated") {
		t.Fatalf("isolated before ever reaching the group: %v", events(acts))
	}
}

// The master down to us too: nothing to drop (and nobody to send it to),
// but we still do not name it.
func TestIsolatedWithMasterDownDropsNothing(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick()
	var acts []Action
	for range 12 {
		r.advance(100 * time.Millisecond)
		r.keepAlive(append(append(r.m.SortedPeers(), r.m.SortedReplicas()...), r.m.Master)...)
		r.tick()
		acts = append(acts, r.drain()...)
	}
	if !r.m.Isolated || len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("isolated %v, drops %d: %v", r.m.Isolated, len(ofKind(acts, DropClients)), events(acts))
	}
}

// fail-closed no keeps redis-sentinel's behaviour.
func TestOpenWhenIsolated(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.Config.OpenWhenIsolated = true
	r.tick()
	acts := isolate(r)
	if r.m.Isolated || len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("fail-closed no: isolated %v, %v", r.m.Isolated, events(acts))
	}
	// Turned off while isolated: named again at the next tick.
	r2 := newRig(t, 1, 2)
	r2.tick()
	isolate(r2)
	r2.m.Config.OpenWhenIsolated = true
	r2.advance(100 * time.Millisecond)
	r2.tick()
	if r2.m.Isolated {
		t.Fatal("still isolated after fail-closed no")
	}
}

// A sentinel starved of CPU hears nobody for a while, the master
// included: everything goes down together and comes back. It may stop
// naming the master meanwhile, but must not drop its clients: the master
// did not answer it within the ping window either.
func TestStarvedSentinelDropsNobody(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick()
	r.drain()
	quiet := append(r.m.SortedPeers(), r.m.SortedReplicas()...)
	var acts []Action
	for i := range 12 {
		r.advance(100 * time.Millisecond)
		if i < 3 {
			r.keepAlive(quiet...)
		} else {
			// The master's last reply 0.9 s old at the end: not down
			// (down-after 1 s), but outside the ping window (0.5 s).
			r.keepAlive(append(quiet, r.m.Master)...)
		}
		r.tick()
		acts = append(acts, r.drain()...)
	}
	if !r.m.Isolated {
		t.Fatalf("not isolated: %v", events(acts))
	}
	if r.m.Master.Flags&FlagSDown != 0 {
		t.Fatal("the master is down: the case is not the one meant")
	}
	if len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("dropped the clients of a master that did not answer within the ping window: %v", events(acts))
	}
}

// After a switch the old master is a replica, dead as a rule and never
// heard from in that role: with the peers slow to answer for a moment
// (each saving its votes for hundreds of masters) that is not a cut, and
// the new master's clients stay. Found at 200 masters killed at once:
// +isolated a second after +switch-master, and CLIENT KILL on the new
// master.
func TestDeadOldMasterIsNotACut(t *testing.T) {
	r := newRig(t, 1, 2)
	r.tick()
	r.drain()
	newMaster := replicaAddr(0)
	r.hello(0, newMaster, 1)
	if r.m.Master.Addr != newMaster {
		t.Fatalf("switch not applied: master %v", r.m.Master.Addr)
	}
	old := r.m.Replicas[masterAddr.String()]
	if old == nil {
		t.Fatal("the old master is not a replica after the switch")
	}
	r.info(r.m.Master, masterInfoText(r.m))
	acts := silence(r, append(r.m.SortedPeers(), old)...)
	if old.Flags&FlagSDown == 0 {
		t.Fatal("the dead old master is not subjectively down")
	}
	if r.m.Isolated || has(acts, "+isolated") || len(ofKind(acts, DropClients)) != 0 {
		t.Fatalf("a dead old master and slow peers taken for a cut: %v", events(acts))
	}
	// A replica we did hear from that goes silent with the peers still is.
	r.info(old, replicaInfoText(newMaster, true, 100))
	acts = silence(r, append(r.m.SortedPeers(), old)...)
	if !r.m.Isolated {
		t.Fatalf("not isolated with both peers and a known replica down: %v", events(acts))
	}
}
