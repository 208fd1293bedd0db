package simsentinel

import (
	"errors"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim/invariant"
)

// TestGaveUpCheck: NoGiveUpWithReplicaInReach fires on a leader giving up
// while a replica that followed the master all along answers, whatever
// the leader's own loop knew of its reads (Flood), and is quiet while the
// replica restarted within the window or reads later than the link
// timeout allows.
func TestGaveUpCheck(t *testing.T) {
	f, w, r := reachFleet(t)
	s, master, replica := f.Sentinels[0], f.Groups[0].Name, f.Groups[0].Servers[1]
	m := f.Sentinel(s).Machine(master)
	if err := r.gaveUp(s, master, m); err != nil {
		t.Fatalf("judged without a select_slave: %v", err)
	}
	r.selectBegins(s, master)
	step := func() {
		t.Helper()
		if err := w.RunFor(500 * time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	step()
	wants := func(err error) {
		t.Helper()
		var v *invariant.Violation
		if !errors.As(err, &v) || v.Invariant != NoGiveUpWithReplicaInReach {
			t.Errorf("got %v, want a violation of %q", err, NoGiveUpWithReplicaInReach)
		}
	}
	wants(r.gaveUp(s, master, m))
	w.Flood(s, 800*time.Millisecond, 5*time.Second)
	step()
	wants(r.gaveUp(s, master, m))
	w.Restart(replica)
	if err := r.gaveUp(s, master, m); err != nil {
		t.Errorf("a replica restarted within the window: %v", err)
	}
	// Long after, a new select_slave judges it again.
	if err := w.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	r.selectBegins(s, master)
	step()
	wants(r.gaveUp(s, master, m))
	w.TrailReads(replica, time.Second, 2*time.Second)
	step()
	if err := r.gaveUp(s, master, m); err != nil {
		t.Errorf("a replica answering later than the link timeout: %v", err)
	}
}
