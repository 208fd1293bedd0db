package sim

import (
	"fmt"
	"time"
)

// A process short of CPU reads late. LagReads (process.go) is a backlog
// that grows from nothing and is read at once when the lag ends;
// TrailReads is a steady backlog, every message read the same time after
// it came (a loaded Redis host answers every command late, in order);
// Flood is a loop never idle, which reads what comes at once but learns
// only late how far it has read (eventloop.Loop.CaughtUp's marker comes
// back behind a batch). A process short of CPU also looks late:
// SlowTicks spaces its ticks out while it reads on time. None is a fault
// of the network or of the others: Calm ignores them, and ReadDelay says
// how late a node read, for checks that must tell a node's own lateness
// from the others' silence.

// slowRead is a span of late reads: until until, what came was read up
// to wait late.
type slowRead struct {
	until time.Time
	wait  time.Duration
}

// TrailReads makes name read every message that comes in the next d
// behind after it came, in order; its ticks run on time, and CaughtUp
// says what it has read (up to behind ago).
func (w *World) TrailReads(name string, behind, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("trail reads of %q: %w", name, ErrNoEndpoint)
	}
	ep.trailBehind, ep.trailUntil = behind, w.now.Add(d)
	ep.slow = append(ep.slow, slowRead{until: w.now.Add(d + behind), wait: behind})
	w.tracef("trail reads of %s by %v for %v", name, behind, d)
	return nil
}

// Flood keeps name's loop busy for d: it reads what comes at once, but
// CaughtUp stays behind ago, so a reply read now came after the moment
// it reports (as production's marker, queued behind what is ready when a
// batch ends, is read only after the next batch).
func (w *World) Flood(name string, behind, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("flood %q: %w", name, ErrNoEndpoint)
	}
	ep.floodBehind, ep.floodUntil = behind, w.now.Add(d)
	w.tracef("flood %s (caught up %v behind) for %v", name, behind, d)
	return nil
}

// SlowTicks makes name's ticks come every apart (at the least) for the
// next d, as a loaded sentinel's do: production's 1,000-master failover
// ran its 100 ms tick 280 to 450 ms apart. Its reads stay on time. No
// fault of the network or of the others, and not a late read either
// (Lagged stays false): a check excuses nothing by it, for a node's
// judgement of others must not depend on how often it looks.
func (w *World) SlowTicks(name string, every, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("slow ticks of %q: %w", name, ErrNoEndpoint)
	}
	ep.tickEvery, ep.tickSlowUntil = every, w.now.Add(d)
	w.tracef("ticks of %s every %v for %v", name, every, d)
	return nil
}

// ReadDelay is the longest a message to name waited to be read (LagReads,
// TrailReads) at any time in the last d; 0 when it read everything as it
// came.
func (w *World) ReadDelay(name string, d time.Duration) time.Duration {
	ep := w.eps[name]
	if ep == nil {
		return 0
	}
	var wait time.Duration
	for _, s := range ep.slow {
		if !s.until.Before(w.now.Add(-d)) {
			wait = max(wait, s.wait)
		}
	}
	return wait
}

// Lagged reports whether name read late (LagReads, TrailReads) at any
// time in the last d.
func (w *World) Lagged(name string, d time.Duration) bool { return w.ReadDelay(name, d) > 0 }

// readBehind queues msg, arrived at dst, to be read behind its trail
// (TrailReads); false when dst reads what comes at once. Messages that
// come after the trail ended wait for the backlog, so order is kept.
func (w *World) readBehind(dst *Endpoint, l link, inc uint64, msg Msg) bool {
	if !w.now.Before(dst.trailUntil) && !w.now.Before(dst.backlogUntil) {
		return false
	}
	at := dst.backlogUntil
	if t := w.now.Add(dst.trailBehind); w.now.Before(dst.trailUntil) && t.After(at) {
		at = t
	}
	dst.backlogUntil = at
	w.schedule(at, func() { w.read(dst, l, inc, msg) })
	return true
}

// read hands over a message that waited in dst's socket: unless dst
// crashed since, or is frozen (then it waits on).
func (w *World) read(dst *Endpoint, l link, inc uint64, msg Msg) {
	switch {
	case dst.node == nil || dst.incarnation != inc || staleConn(dst, msg):
		w.tracef("drop  %s->%s %s (%s restarted or down)", l.from, l.to, msg, l.to)
	case w.now.Before(dst.frozenUntil):
		w.schedule(dst.frozenUntil, func() { w.read(dst, l, inc, msg) })
	default:
		w.tracef("recv  %s->%s %s (read late)", l.from, l.to, msg)
		dst.node.Receive(dst.Now(), l.from, msg)
	}
}

// caughtUp is the moment, in the world's time, up to which everything
// sent to e has been handed to its node, or as far as its loop knows
// (Flood).
func (e *Endpoint) caughtUp() time.Time {
	now := e.w.now
	c := now
	if !now.After(e.lagUntil) && !e.lagSince.IsZero() {
		c = e.lagSince
	}
	if now.Before(e.backlogUntil) {
		c = minTime(c, now.Add(-e.trailBehind))
	}
	if now.Before(e.floodUntil) {
		c = minTime(c, now.Add(-e.floodBehind))
	}
	return c
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
