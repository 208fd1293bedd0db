package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The GC percent we run at unless the user set GOGC. Idle, a quarter of
// the default: the heap (most of our RSS) grows to 1.25 times what is
// live, not 2 times, cheap because an idle sentinel allocates little
// (at 1,000 masters 0.14-0.24 MB/s). During failovers the allocation
// rate is a hundred times that (every vote waits for a config save, every
// event is logged and published), and at 25 the collector ran 172 times
// in 40 s of a 1,000-master failover, marking most of the time: at 100
// the 1,000 masters switched in 4.9-5.7 s instead of 6.0-7.5 s (two runs
// each, alternating, 16:24). gcCalm after the last failover event the
// idle percent comes back, and with it the small heap.
const (
	idleGCPercent = 25
	busyGCPercent = 100
	gcCalm        = 10 * time.Second
)

// tuneGC reports whether we set the GC percent ourselves: not when the
// user did, with GOGC.
func tuneGC() bool { return os.Getenv("GOGC") == "" }

// gcPacer switches the GC percent from idle to busy at the first event
// of a failover and back once none came for calm.
type gcPacer struct {
	idle, busy int
	calm       time.Duration
	set        func(int) int // debug.SetGCPercent
}

// run follows sub until ctx ends, leaving the idle percent behind.
func (p gcPacer) run(ctx context.Context, sub *event.Subscription) {
	busy := false
	calm := time.NewTimer(p.calm)
	calm.Stop()
	defer calm.Stop()
	for {
		select {
		case <-ctx.Done():
			if busy {
				p.set(p.idle)
			}
			return
		case e := <-sub.C:
			if !failoverEvent(e.Kind) {
				continue
			}
			if !busy {
				p.set(p.busy)
				busy = true
			}
			calm.Reset(p.calm)
		case <-calm.C:
			if busy {
				p.set(p.idle)
				busy = false
			}
		}
	}
}

// failoverEvent reports whether k belongs to a failover, led or voted
// for or learned from a peer (not to discovery or an instance's ups and
// downs, which would keep an unstable replica's sentinel at the busy
// percent).
func failoverEvent(k event.Kind) bool {
	switch k {
	case "+odown", "+try-failover", "+vote-for-leader", "+elected-leader", "+new-epoch",
		"+switch-master", "+config-update-from", "+promoted-slave":
		return true
	}
	s := string(k)
	return strings.HasPrefix(s, "+failover-") || strings.HasPrefix(s, "-failover-") || strings.HasPrefix(s, "+slave-reconf-")
}
