package main

import (
	"io"
	"sync"
)

// logBatch writes the log behind the caller while the sentinel runs: a
// line is appended to a buffer and a goroutine writes whatever has
// gathered in one write. When a host with a thousand masters dies, each
// sentinel logs thousands of event lines in a few seconds from its event
// loop, and a logfile write is redis's open, write and close: 7 % of a
// sentinel's CPU in the 1,000-master benchmark, in the loop the failover
// waits on (BENCHMARKS.md). Lines keep their order and go out as soon as
// the writer is free; what waits is bounded (logBatchMax: a caller waits
// beyond it).
//
// Until Async(true), and again after Async(false), which returns once
// everything is written, Write writes at once: a start that fails, and
// the last lines of a stop, are on disk when the process exits. Lines in
// the buffer are lost only if the process dies meanwhile (a SIGKILL or a
// crash within the write in progress), microseconds under load.
type logBatch struct {
	w io.Writer

	mu      sync.Mutex
	cond    *sync.Cond // a drain has written something, or ended
	async   bool
	running bool   // a drain goroutine owns w
	buf     []byte // lines not yet handed to w
	spare   []byte // the last written buffer, for reuse
}

// logBatchMax bounds the lines waiting for the writer; logBatchKeep is
// the largest buffer kept between bursts.
const (
	logBatchMax  = 1 << 20
	logBatchKeep = 16 << 10
)

func newLogBatch(w io.Writer) *logBatch {
	b := &logBatch{w: w}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// Write takes one or more whole lines.
func (b *logBatch) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.async {
		// A drain may still be finishing what came before Async(false)
		// returned to someone else: wait, for the order of lines.
		for b.running {
			b.cond.Wait()
		}
		return b.w.Write(p)
	}
	for b.running && len(b.buf) > 0 && len(b.buf)+len(p) > logBatchMax {
		b.cond.Wait()
	}
	if b.buf == nil {
		b.buf, b.spare = b.spare[:0], nil
	}
	b.buf = append(b.buf, p...)
	if !b.running {
		b.running = true
		go b.drain()
	}
	return len(p), nil
}

// drain writes what gathered until nothing is left, then ends: there is
// no goroutine while the log is quiet, and none to stop.
func (b *logBatch) drain() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.buf) > 0 {
		out := b.buf
		b.buf = nil
		b.mu.Unlock()
		b.w.Write(out) //nolint:errcheck // as slog's own handlers: a log write that fails has nowhere to be reported
		b.mu.Lock()
		if cap(out) <= logBatchKeep {
			b.spare = out
		}
		b.cond.Broadcast()
	}
	b.running = false
	b.cond.Broadcast()
}

// Async turns writing behind the caller on or off; off returns once every
// line written before it is out.
func (b *logBatch) Async(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.async = on
	for !on && b.running {
		b.cond.Wait()
	}
}
