package simsentinel

import (
	"errors"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
)

// reachFleet is one master on two hosts watched by three sentinels,
// settled for 5 s, with the ledger's reach checks the tests call by hand.
func reachFleet(t *testing.T) (*Fleet, *sim.World, *reach) {
	t.Helper()
	f := NewFleet(sim.Config{Seed: 1}, Layout{Masters: 1, Hosts: 2, Sentinels: 3, Quorum: 2})
	if err := f.W.RunFor(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return f, f.W, f.Ledger.reach
}

// TestReachChecks: each check of reach.go fires on a belief of being cut
// off that the world's ground truth contradicts, and stays quiet once a
// fault explains it.
func TestReachChecks(t *testing.T) {
	f, w, r := reachFleet(t)
	s1, s2 := f.Sentinels[0], f.Sentinels[1]
	peer := w.Endpoint(s2).Addr()
	master := f.Groups[0].Name
	wants := func(err error, inv string) {
		t.Helper()
		var v *invariant.Violation
		if !errors.As(err, &v) || v.Invariant != inv {
			t.Errorf("got %v, want a violation of %q", err, inv)
		}
	}
	wants(r.peerDown(s1, event.Addr{Host: peer.Host, Port: peer.Port}), PeerInReachUp)
	wants(r.peerSilent(s1, s2, time.Second), PeerInReachAnswers)
	wants(r.failedClosed(s1, master, "fails closed"), FailsClosedOnlyWhenCut)

	// Its peers frozen: not the peers' half, but every server of the
	// group in reach, so still no cause.
	for _, s := range f.Sentinels[1:] {
		w.Freeze(s, 10*time.Second)
	}
	if err := r.peerDown(s1, event.Addr{Host: peer.Host, Port: peer.Port}); err != nil {
		t.Errorf("a frozen peer down: %v", err)
	}
	wants(r.failedClosed(s1, master, "fails closed"), FailsClosedOnlyWhenCut)
	// The master's server dead since before the view began counts for
	// nothing; a replica out of reach is cause.
	w.Crash(f.Groups[0].Servers[0])
	if err := r.failedClosed(s1, master, "fails closed"); err != nil {
		t.Errorf("a server heard, maybe, then dead, and frozen peers: %v", err)
	}
	if err := w.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	r.viewBegins(s1, master) // a +switch-master: it was never heard since
	wants(r.failedClosed(s1, master, "fails closed"), FailsClosedOnlyWhenCut)
	w.Cut(s1, f.Groups[0].Servers[1])
	if err := r.failedClosed(s1, master, "fails closed"); err != nil {
		t.Errorf("cut off from a replica and frozen peers: %v", err)
	}
}
