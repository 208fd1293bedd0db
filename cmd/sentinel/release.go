package main

import (
	"context"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// When memory is given back after a burst (releaser).
const (
	releaseCalm  = 5 * time.Second  // without an event, after the start or a burst
	releaseEvery = 60 * time.Second // at most one release a minute after the first
)

// releaser gives memory back to the OS once the sentinel is calm after
// its start and after every later burst of events (the discovery of many
// instances, a failover): the executable's pages that only the burst's
// code touched (releaseExecPages) and the heap pages its garbage left
// (debug.FreeOSMemory). Go's scavenger hands free heap pages back over
// minutes, and the kernel keeps executable pages mapped until memory is
// short, so an idle sentinel would carry its busiest moment for long.
//
// Calm is measured from the last event, not from the start: at 5,000
// masters the start's discovery runs for 12-14 s, its config saves
// setting the heap's peak; a release at a fixed 5 s came before that
// peak, and the sentinel sat at 59-60 MB anonymous until the scavenger
// brought it to 43 MB 31 s after the start. Released 5 s after the last
// event instead, it was at 43 MB from 17 s (BENCHMARKS.md, ninth
// session). A release is a full collection, so a steady trickle of
// events (an instance that flaps) gets one a minute at most.
type releaser struct {
	calm, every time.Duration
	release     func()
}

// run releases after the start's burst and each later one, until ctx
// ends. Each event of sub marks a burst and restarts the calm wait; the
// timer fires once per wait, so each firing ends one burst.
func (r releaser) run(ctx context.Context, sub *event.Subscription) {
	wait := time.NewTimer(r.calm) // the start is a burst
	defer wait.Stop()
	var last time.Time // the last release
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.C:
			d := r.calm
			if !last.IsZero() {
				d = max(d, r.every-time.Since(last))
			}
			wait.Reset(d)
		case <-wait.C:
			r.release()
			last = time.Now()
		}
	}
}
