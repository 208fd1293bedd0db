package hooks

import "time"

// Observer hears how hook runs go; package metrics turns it into
// series. Hook names a rule by its command line (Argv joined by spaces).
// Its methods are called from the runner's goroutines and must be quick.
type Observer interface {
	// Rules names every configured hook once, at New, so that series
	// exist (at zero) before the first event.
	Rules(hooks []string)
	// Attempt reports one finished attempt: how long it ran, whether it
	// succeeded, and whether it was a retry (not the run's first start).
	Attempt(hook string, ran time.Duration, ok, retry bool)
	// Finished reports a run that leaves the journal: done, or given up.
	Finished(hook string, givenUp bool)
	// Queue reports the runs in the journal and how many of them run,
	// whenever either changes.
	Queue(pending, running int)
}

type nopObserver struct{}

func (nopObserver) Rules([]string)                            {}
func (nopObserver) Attempt(string, time.Duration, bool, bool) {}
func (nopObserver) Finished(string, bool)                     {}
func (nopObserver) Queue(int, int)                            {}
