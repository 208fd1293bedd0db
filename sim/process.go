package sim

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoEndpoint is returned for faults naming an endpoint the world lacks.
var ErrNoEndpoint = errors.New("sim: no such endpoint")

// Crash stops name's node at once, as a machine losing power: its
// volatile state is gone, messages in flight to it are lost, nobody is
// told. Its disk stays for Restart.
func (w *World) Crash(name string) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("crash %q: %w", name, ErrNoEndpoint)
	}
	if ep.node == nil {
		return nil
	}
	ep.node = nil
	ep.frozenUntil = time.Time{}
	ep.downSince = w.now
	w.troubleAt(name, w.now)
	w.tracef("crash %s #%d", name, ep.incarnation)
	return nil
}

// Kill stops name's node as kill -9 does to a process on a machine that
// stays up: like Crash, and the kernel closes its connections, so every
// other endpoint is sent Closed{Conn: ""} from it ("all your connections
// to me"), through the network's faults like any message.
func (w *World) Kill(name string) error {
	if err := w.Crash(name); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	for _, other := range w.names {
		if other != name {
			w.send(name, other, Closed{Reason: "process killed"})
		}
	}
	return nil
}

// Restart starts a new incarnation of a crashed node (crashing it first
// when it runs): a fresh node from its StartFunc, with its disk.
func (w *World) Restart(name string) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("restart %q: %w", name, ErrNoEndpoint)
	}
	if ep.node != nil {
		if err := w.Crash(name); err != nil {
			return err
		}
	}
	w.boot(ep)
	return nil
}

// Freeze stops name for d, as SIGSTOP does: no ticks, and messages to it
// wait (in order) until it resumes; then it sees its clock jump by d.
func (w *World) Freeze(name string, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("freeze %q: %w", name, ErrNoEndpoint)
	}
	ep.frozenUntil = w.now.Add(d)
	w.troubleAt(name, ep.frozenUntil)
	w.tracef("freeze %s for %v", name, d)
	return nil
}

// LagReads makes name read late for d, as a process whose event loop is
// behind (a flood of replies, no CPU): its ticks and timers run, but
// messages to it wait, in order, until d has passed. Unlike Freeze it is
// no fault of the network or of the others: a check must not excuse the
// lagging node's judgement of others by it, only the others' judgement of
// the lagging node, which does not answer meanwhile (Lagged).
func (w *World) LagReads(name string, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("lag %q: %w", name, ErrNoEndpoint)
	}
	if !w.now.After(ep.lagUntil) && !ep.lagSince.IsZero() {
		// Lagging already: messages held for the current lag would be
		// overtaken by ones held for a longer one.
		w.tracef("lag reads of %s: lagging already", name)
		return nil
	}
	ep.lagSince, ep.lagUntil = w.now, w.now.Add(d)
	ep.slow = append(ep.slow, slowRead{until: ep.lagUntil, wait: d})
	w.tracef("lag reads of %s for %v", name, d)
	return nil
}

// JumpClock moves name's own clock by d (negative: backwards), as a
// wall-clock step does; the world's time is unchanged.
func (w *World) JumpClock(name string, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("jump clock of %q: %w", name, ErrNoEndpoint)
	}
	// A clock set back stops what the node timed by it (a PING is due
	// "in the future") until it shows again the highest time it showed
	// before, however many jumps back that takes; a clock set forward
	// makes everything look late at once (TILT follows). Trouble lasts
	// until the clock has caught up, and at least as long as the jump.
	high := w.now.Add(ep.skew)
	if ep.clockHigh.After(high) {
		high = ep.clockHigh
	}
	ep.clockHigh = high
	ep.skew += d
	until := w.now.Add(max(d, -d))
	if caughtUp := high.Add(-ep.skew); caughtUp.After(until) {
		until = caughtUp
	}
	w.troubleAt(name, until)
	w.tracef("clock %s %+v (skew %v)", name, d, ep.skew)
	return nil
}
