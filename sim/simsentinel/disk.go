package simsentinel

import (
	"math/rand/v2"
	"time"
)

// SaveTimes is how long a save of a sentinel's config takes: drawn for
// each save from the world's random source. nil: at once (the disk of the
// other scenarios).
type SaveTimes func(r *rand.Rand) time.Duration

// BusyDisk is a disk under load: most saves take fast (a few ms of
// write and fsync), one in slowOdds takes slow (an fsync queued behind
// other writers), each drawn uniformly between half and all of it.
func BusyDisk(fast, slow time.Duration, slowOdds float64) SaveTimes {
	return func(r *rand.Rand) time.Duration {
		d := fast
		if r.Float64() < slowOdds {
			d = slow
		}
		return d/2 + time.Duration(r.Int64N(int64(d/2)+1))
	}
}

// saver is production's group commit (sentinel.flushSync) on a disk that
// takes time: a save covers whoever asked before it started; whoever
// asks while it runs is covered by the next one, which starts when it
// ends. It writes what the config was when it started, as FlushConfig
// takes a snapshot first.
type saver struct {
	requested, done uint64
	running         bool
	waiting         []waiter
}

type waiter struct {
	seq  uint64
	done func()
}

// flush saves the config and calls done (when not nil) once a save that
// started after the call has reached the disk: flushSync for a vote's
// reply, markDirty for a Persist (done nil). With no SaveTimes the save
// is made, and done called, at once.
func (n *Node) flush(done func()) {
	if n.opts.SaveTimes == nil {
		n.save()
		if done != nil {
			done()
		}
		return
	}
	s := &n.saver
	s.requested++
	if done != nil {
		s.waiting = append(s.waiting, waiter{s.requested, done})
	}
	n.startSave()
}

// startSave starts the next save unless one runs or nobody waits.
func (n *Node) startSave() {
	s := &n.saver
	if s.running || s.done >= s.requested {
		return
	}
	s.running = true
	target := s.requested
	b := n.marshal()
	d := n.opts.SaveTimes(n.ep.Rand())
	n.ep.After(d, func() {
		n.ep.Disk().WriteFile(stateFile, b)
		n.ep.Tracef("saved (%v)", d)
		s.running, s.done = false, target
		var covered []waiter
		rest := s.waiting[:0]
		for _, w := range s.waiting {
			if w.seq <= target {
				covered = append(covered, w)
			} else {
				rest = append(rest, w)
			}
		}
		s.waiting = rest
		for _, w := range covered {
			w.done()
		}
		n.startSave()
	})
}
