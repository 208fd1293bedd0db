package history

import (
	"sort"
	"sync"
	"time"
)

// Recorder collects the operations of concurrent clients. It holds at
// most Limit operations (bounded by design: a long soak must not grow
// without end); past it, Add drops the operation and counts it, and the
// check refuses a history with drops rather than judge part of it.
type Recorder struct {
	limit int

	mu      sync.Mutex
	ops     []Op
	dropped int
}

// DefaultLimit holds about ten minutes of the e2e workload.
const DefaultLimit = 1 << 20

// NewRecorder returns a recorder of at most limit operations
// (DefaultLimit if limit <= 0).
func NewRecorder(limit int) *Recorder {
	if limit <= 0 {
		limit = DefaultLimit
	}
	return &Recorder{limit: limit}
}

// Add records one completed operation; false if the recorder is full.
func (r *Recorder) Add(op Op) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ops) >= r.limit {
		r.dropped++
		return false
	}
	r.ops = append(r.ops, op)
	return true
}

// Dropped is how many operations did not fit.
func (r *Recorder) Dropped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// Ops returns a copy of the history ordered by invocation time.
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	ops := append([]Op(nil), r.ops...)
	r.mu.Unlock()
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call.Before(ops[j].Call) })
	return ops
}

func sortTimes(ts []time.Time) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
}
