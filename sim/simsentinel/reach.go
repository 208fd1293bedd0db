package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
)

// A sentinel whose own reads lag (sim.World.LagReads: its event loop
// behind) is judged like any other: the checks excuse only the lag of
// the node it judges, which did not answer meanwhile.
//
// The fail-closed checks: a sentinel believes itself cut off (a peer
// subjectively down, a master it stops naming and whose clients it
// drops) only when the world gave it cause. The world knows the ground
// truth (sim.World.Calm: no crash, restart, freeze or clock jump of
// either, no network rule between them and none of their messages lost,
// for a window); a belief that contradicts it is a bug of ours, such as
// the two the 200-master benchmark found: PING replies held behind vote
// saves, and the dead old master counted as a replica cut off.
const (
	// PeerInReachUp: a peer calm with us for the window is never
	// subjectively down to us (its PINGs are answered within
	// milliseconds; down-after is a second).
	PeerInReachUp = "a peer in reach is never subjectively down"
	// PeerInReachAnswers: a peer calm with us answers what we send on
	// the link of its PINGs within the link timeout (half of
	// down-after): nothing there waits for a save (votes have a link of
	// their own), and a timeout drops the link, which is how the
	// benchmark's peers went down.
	PeerInReachAnswers = "a peer in reach answers its PINGs within the link timeout"
	// FailsClosedOnlyWhenCut: a sentinel stops naming a master
	// (+isolated) or drops its clients only when it is cut off: neither
	// while calm with a majority of the sentinels (the peers' half of
	// the rule cannot hold), nor while calm with every running server of
	// the group when those down went down before its view of the group
	// began (the replica half cannot hold: such a server was never heard
	// from, so the majority cannot be promoting it out of our sight).
	FailsClosedOnlyWhenCut = "a sentinel in reach of its group never fails closed"
)

// reach holds the ground truth the checks judge by.
type reach struct {
	w         *sim.World
	sentinels []string            // set once they are added
	groups    map[string][]string // master name -> its servers
	// window is how long a pair must have been calm: down-after, plus a
	// link timeout and a ping period for a connection stalled just
	// before, with room to spare.
	window time.Duration
	// began is when each sentinel's view of each group began, in the
	// world's time (a sentinel's own clock may have jumped since): its
	// start, or its last +switch-master, where the machine makes every
	// replica anew, none heard from yet.
	began map[[2]string]time.Time
	// selecting is when each sentinel's last select_slave of each group
	// began, in the world's time; cfg and timing are every master's and
	// sentinel's (gaveup.go).
	selecting map[[2]string]time.Time
	cfg       failover.Config
	timing    failover.Timing
}

func newReach(f *Fleet, cfg failover.Config, t failover.Timing) *reach {
	r := &reach{w: f.W, groups: map[string][]string{}, window: 3 * cfg.DownAfter,
		began: map[[2]string]time.Time{}, selecting: map[[2]string]time.Time{}, cfg: cfg, timing: t}
	for _, g := range f.Groups {
		r.groups[g.Name] = g.Servers
	}
	return r
}

// peerDown checks a +sdown of the peer at addr seen by sentinel s.
func (r *reach) peerDown(s string, addr event.Addr) error {
	p, ok := r.w.Lookup(sim.Addr{Host: addr.Host, Port: addr.Port})
	if !ok || !r.w.Calm(s, p, r.window) || r.w.Lagged(p, r.window) {
		return nil
	}
	return &invariant.Violation{Invariant: PeerInReachUp,
		Now:     fmt.Sprintf("%s sees %s subjectively down", s, p),
		Earlier: fmt.Sprintf("nothing came between them for %v", r.window)}
}

// peerSilent checks a command on the PING link to peer p timing out.
func (r *reach) peerSilent(s, p string, timeout time.Duration) error {
	if !r.w.Calm(s, p, r.window) || r.w.Lagged(p, r.window) {
		return nil
	}
	return &invariant.Violation{Invariant: PeerInReachAnswers,
		Now:     fmt.Sprintf("%s got no reply from %s within %v on the link of its PINGs", s, p, timeout),
		Earlier: fmt.Sprintf("nothing came between them for %v", r.window)}
}

// viewBegins records that sentinel s's view of master begins now.
func (r *reach) viewBegins(s, master string) { r.began[[2]string{s, master}] = r.w.Now() }

// failedClosed checks sentinel s failing closed (what) for master.
func (r *reach) failedClosed(s, master, what string) error {
	w := r.w
	if !w.Calm(s, s, r.window) {
		return nil
	}
	reached := 0
	for _, p := range r.sentinels {
		// A peer whose reads lagged did not answer meanwhile; our own
		// lag is no excuse (sim.World.LagReads).
		if w.Calm(s, p, r.window) && (p == s || !w.Lagged(p, r.window)) {
			reached++
		}
	}
	if need := len(r.sentinels)/2 + 1; reached >= need {
		return &invariant.Violation{Invariant: FailsClosedOnlyWhenCut,
			Now:     fmt.Sprintf("%s %s for %s", s, what, master),
			Earlier: fmt.Sprintf("it reached %d of %d sentinels (itself included) with nothing between them for %v", reached, len(r.sentinels), r.window)}
	}
	began, ok := r.began[[2]string{s, master}]
	if !ok {
		return nil
	}
	for _, srv := range r.groups[master] {
		if at, down := w.DownSince(srv); down {
			if !at.Before(began) {
				return nil // heard, maybe, then lost: a cut looks alike
			}
		} else if !w.Calm(s, srv, r.window) {
			return nil // a server out of reach the majority may promote
		}
	}
	return &invariant.Violation{Invariant: FailsClosedOnlyWhenCut,
		Now: fmt.Sprintf("%s %s for %s", s, what, master),
		Earlier: fmt.Sprintf("it reached every running server of the group with nothing between them for %v, and the ones down went down before its view of the group began at %v",
			r.window, w.Elapsed()-w.Now().Sub(began))}
}
