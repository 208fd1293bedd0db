package respserver

import (
	"context"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// reclaimThreshold is the size of a request (complete or not) after which
// the memory it took is handed back to the OS once it is garbage.
const reclaimThreshold = 1 << 20

// clientOverhead is about what a connection costs besides its buffers:
// its goroutine's stack, the client, the socket's runtime state.
const clientOverhead = 16 * 1024

// reclaimer gives memory back to the OS after a burst of large requests.
// Go's garbage collector runs when the heap grows, not when it shrinks:
// after 100 clients held 5 MB each and left, nothing allocates, no
// collection runs and the 500 MB stay resident for minutes. redis (with
// jemalloc) is back to its idle size within a second or two; so are we:
// once a large request is done with, a full collection and a release
// (debug.FreeOSMemory) follow shortly, at most once a second so that a
// stream of large requests cannot turn it into a CPU cost.
type reclaimer struct {
	kick  chan struct{}
	delay time.Duration // lets a burst of clients leave before one release
	every time.Duration // the least time between two releases
	runs  atomic.Int64  // releases done (tests)
	// left is what clients that went have freed since the last kick:
	// many small clients leaving add up to a release too.
	left atomic.Int64
}

func newReclaimer() *reclaimer {
	return &reclaimer{kick: make(chan struct{}, 1), delay: 100 * time.Millisecond, every: time.Second}
}

// note tells that a request of n bytes has become garbage (or is about
// to: its client is leaving). It never blocks.
func (r *reclaimer) note(n int) {
	if n < reclaimThreshold {
		return
	}
	select {
	case r.kick <- struct{}{}:
	default: // a release is already due
	}
}

// noteExit tells that a client has gone, freeing about n bytes.
func (r *reclaimer) noteExit(n int) {
	if r.left.Add(int64(n)) < reclaimThreshold {
		return
	}
	r.left.Store(0)
	r.note(reclaimThreshold)
}

// run releases memory when kicked, until ctx ends.
func (r *reclaimer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		if !sleepCtx(ctx, r.delay) {
			return
		}
		select { // kicks of the same burst are served by this release
		case <-r.kick:
		default:
		}
		debug.FreeOSMemory()
		r.runs.Add(1)
		if !sleepCtx(ctx, r.every) {
			return
		}
	}
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
