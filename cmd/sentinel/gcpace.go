package main

import (
	"context"
	"os"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The GC percent we run at unless the user set GOGC. Idle, at most a
// quarter of the default: the heap (most of our RSS) grows to 1.25 times
// what is live, not 2 times, cheap because an idle sentinel allocates
// little (at 1,000 masters 0.14-0.24 MB/s). Above four times idleGCSlack
// of live heap the percent falls so that the heap grows by about
// idleGCSlack between collections, down to minIdleGCPercent: what an
// idle sentinel allocates grows more slowly than what it keeps (at 5,000
// masters 0.44 MB/s for 26 MB live), so a quarter of a large live heap
// is megabytes of garbage kept for nothing, and a collection every 6-7 s
// costs little. During failovers the allocation rate is a hundred times
// that (every vote waits for a config save, every event is logged and
// published), and at 25 the collector ran 172 times in 40 s of a
// 1,000-master failover, marking most of the time: at 100 the 1,000
// masters switched in 4.9-5.7 s instead of 6.0-7.5 s (two runs each,
// alternating, 16:24). gcCalm after the last failover event the idle
// percent comes back, and with it the small heap. While idle, the
// percent is recomputed every gcRecheck: the start's discovery and
// masters added or removed at run time change the live heap. Not while
// events come: a discovery of 5,000 masters took 8 s longer at GOGC=10
// (it runs 12-14 s, at the percent of the small heap it starts with).
const (
	idleGCPercent    = 25
	minIdleGCPercent = 10
	idleGCSlack      = 3 << 20
	busyGCPercent    = 100
	gcCalm           = 10 * time.Second
	gcRecheck        = 10 * time.Second
)

// idleGCPercentFor is the idle GC percent for a live heap of live bytes.
func idleGCPercentFor(live uint64) int {
	if live == 0 {
		return idleGCPercent
	}
	return int(min(max(100*idleGCSlack/live, minIdleGCPercent), idleGCPercent))
}

// liveHeap reads the live heap as of the last collection.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// tuneGC reports whether we set the GC percent ourselves: not when the
// user did, with GOGC.
func tuneGC() bool { return os.Getenv("GOGC") == "" }

// gcPacer switches the GC percent from idle to busy at the first event
// of a failover and back once none came for calm. The idle percent
// follows the live heap: it is recomputed every recheck while idle and
// calm (no event of any kind for calm: not while a discovery runs).
type gcPacer struct {
	busy    int
	idle    func() int // the idle percent for the heap as it is now
	calm    time.Duration
	recheck time.Duration
	set     func(int) int // debug.SetGCPercent
	// lowered gives back the pages a larger heap goal let the heap
	// touch (debug.FreeOSMemory), after a recheck lowered the idle
	// percent: the scavenger would keep them for minutes. At most once
	// per lowerEvery.
	lowered    func()
	lowerEvery time.Duration
}

// run follows sub until ctx ends, leaving the idle percent behind. It
// starts idle, at the percent the caller set.
func (p gcPacer) run(ctx context.Context, sub *event.Subscription) {
	busy, idle := false, 0
	var lastEvent, lastLowered time.Time // lastEvent: of any kind
	calm := time.NewTimer(p.calm)
	calm.Stop()
	defer calm.Stop()
	recheck := time.NewTicker(p.recheck)
	defer recheck.Stop()
	toIdle := func() {
		if v := p.idle(); busy || v != idle {
			p.set(v)
			idle = v
		}
		busy = false
	}
	toIdle()
	for {
		select {
		case <-ctx.Done():
			if busy {
				toIdle()
			}
			return
		case e := <-sub.C:
			lastEvent = time.Now()
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
				toIdle()
			}
		case <-recheck.C:
			if busy || time.Since(lastEvent) < p.calm {
				continue
			}
			was := idle
			toIdle()
			if idle < was && (lastLowered.IsZero() || time.Since(lastLowered) >= p.lowerEvery) {
				// (At most once per lowerEvery: a live heap that
				// hovers where the percent changes must not buy a
				// full collection every other recheck.)
				p.lowered()
				lastLowered = time.Now()
			}
		}
	}
}

// failoverEvent reports whether k belongs to a failover, led or voted
// for or learned from a peer.
func failoverEvent(k event.Kind) bool {
	switch k {
	case "+odown", "+try-failover", "+vote-for-leader", "+elected-leader", "+new-epoch",
		"+switch-master", "+config-update-from", "+promoted-slave":
		return true
	}
	s := string(k)
	return strings.HasPrefix(s, "+failover-") || strings.HasPrefix(s, "-failover-") || strings.HasPrefix(s, "+slave-reconf-")
}
