package sim

import (
	"fmt"
	"time"
)

// At runs fn at time t (now if t is past), for scenario steps such as
// "heal at 30 s". label goes to the trace.
func (w *World) At(t time.Time, label string, fn func()) {
	if t.Before(w.now) {
		t = w.now
	}
	w.schedule(t, func() {
		w.tracef("at    %s", label)
		fn()
	})
}

// After runs fn d from now; see At.
func (w *World) After(d time.Duration, label string, fn func()) { w.At(w.now.Add(d), label, fn) }

// Check adds an invariant run after every event; the first error stops
// Run and Step and is returned by them (wrapped with the time).
func (w *World) Check(fn func(now time.Time) error) { w.checks = append(w.checks, fn) }

func (w *World) schedule(at time.Time, run func()) { w.scheduleNs(w.ns(at), run) }

func (w *World) scheduleNs(at int64, run func()) {
	w.seq++
	w.queue.push(event{at: at, seq: w.seq, run: run})
}

// ns is t as nanoseconds since the world's start, the queue's and the
// wire's clock.
func (w *World) ns(t time.Time) int64 { return int64(t.Sub(w.cfg.Start)) }

// Step runs the next event. It returns false when the queue is empty or
// a check failed (see Err).
func (w *World) Step() bool {
	if w.stopErr != nil || w.queue.Len() == 0 {
		return false
	}
	e := w.queue.pop()
	w.now = w.cfg.Start.Add(time.Duration(e.at))
	e.run()
	for _, c := range w.checks {
		if err := c(w.now); err != nil {
			w.stopErr = fmt.Errorf("at %v: %w", w.Elapsed(), err)
			w.tracef("FAIL  %v", err)
			return false
		}
	}
	return true
}

// Run runs every event up to and including until, then sets the clock to
// until. It returns the first check's error.
func (w *World) Run(until time.Time) error {
	end := w.ns(until)
	for w.stopErr == nil && w.queue.Len() > 0 && w.queue.peek().at <= end {
		w.Step()
	}
	if w.stopErr == nil && until.After(w.now) {
		w.now = until
	}
	return w.stopErr
}

// RunFor runs for d of simulated time.
func (w *World) RunFor(d time.Duration) error { return w.Run(w.now.Add(d)) }

// Err is the check failure that stopped the world, nil if none.
func (w *World) Err() error { return w.stopErr }
