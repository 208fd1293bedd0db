package failover

import (
	"sync"
	"sync/atomic"
	"time"
)

// Epochs is one sentinel's current epoch, shared by the machines of all
// its masters. Changes of it are serialized with votes and new attempts:
// a vote is per master and epoch, but an attempt must never reuse an epoch
// its master already voted in. (The lock is the only shared state between
// machines; a driver that runs them on one goroutine pays nothing for it.)
type Epochs struct {
	cur atomic.Uint64
	mu  sync.Mutex
	// burstEpoch is the last epoch taken for a failover attempt, at
	// burstAt (Machine.newAttemptEpoch).
	burstEpoch uint64
	burstAt    time.Time
}

// NewEpochs starts at the persisted current epoch.
func NewEpochs(current uint64) *Epochs {
	e := &Epochs{}
	e.cur.Store(current)
	return e
}

// Current is the current epoch.
func (e *Epochs) Current() uint64 { return e.cur.Load() }

// Bump raises the current epoch to n if n is newer, and reports whether it
// did.
func (e *Epochs) Bump(n uint64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.bumpLocked(n)
}

func (e *Epochs) bumpLocked(n uint64) bool {
	if n <= e.cur.Load() {
		return false
	}
	e.cur.Store(n)
	return true
}

// burstWindow is how long an epoch taken for one master's attempt may
// serve others' (Machine.newAttemptEpoch).
const burstWindow = time.Second

// attempt gives a new failover attempt its epoch: a new one, unless the
// last epoch taken for an attempt less than burstWindow ago is still
// current and fresh(current) says it is new to this master.
func (e *Epochs) attempt(now time.Time, fresh func(cur uint64) bool) (epoch uint64, advanced bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.cur.Load()
	if fresh(cur) && e.burstEpoch == cur && now.Sub(e.burstAt) < burstWindow {
		return cur, false
	}
	epoch = cur + 1
	e.cur.Store(epoch)
	e.burstEpoch, e.burstAt = epoch, now
	return epoch, true
}
