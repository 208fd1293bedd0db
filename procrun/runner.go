package procrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// entry is a task in the queue and the state of its current attempt.
type entry struct {
	t       Task
	running bool
	cmd     *exec.Cmd
	pid     int
	started time.Time
	killed  bool
}

type exitNote struct {
	e   *entry
	err error
}

// Runner holds the queue; Run executes it.
type Runner struct {
	cfg    Config
	pol    Policy
	clock  Clock
	logger *slog.Logger

	mu    sync.Mutex
	queue []*entry // in the order added
	wake  chan struct{}
	exits chan exitNote
}

// New makes an idle runner.
func New(cfg Config, pol Policy) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, pol: pol, clock: cfg.Clock, logger: cfg.Logger,
		wake: make(chan struct{}, 1), exits: make(chan exitNote, cfg.MaxRunning)}
	if r.clock == nil {
		r.clock = wallClock{}
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	return r, nil
}

// Add queues t. When the queue goes past MaxQueue the oldest waiting task
// is dropped (redis-sentinel's script queue does the same).
func (r *Runner) Add(t Task) {
	r.mu.Lock()
	r.queue = append(r.queue, &entry{t: t})
	var dropped *entry
	if r.cfg.MaxQueue > 0 && len(r.queue) > r.cfg.MaxQueue {
		for _, e := range r.queue {
			if !e.running {
				dropped = e
				r.removeLocked(e)
				break
			}
		}
	}
	r.mu.Unlock()
	if dropped != nil && r.pol.Dropped != nil {
		r.pol.Dropped(&dropped.t)
	}
	r.Kick()
}

// Kick makes the loop look at the queue now (after a test moved its
// clock, for one).
func (r *Runner) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Snapshot lists the queue in order.
func (r *Runner) Snapshot() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.queue))
	for _, e := range r.queue {
		s := Status{Task: e.t, Running: e.running, NotBefore: e.t.NotBefore}
		if e.running {
			s.PID, s.Started = e.pid, e.started
		}
		out = append(out, s)
	}
	return out
}

// Counts is how many tasks are queued (running or waiting) and how many
// of them run.
func (r *Runner) Counts() (queued, running int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.queue), r.runningLocked()
}

func (r *Runner) runningLocked() int {
	n := 0
	for _, e := range r.queue {
		if e.running {
			n++
		}
	}
	return n
}

// Run starts due tasks, collects their exits and kills those over time,
// until ctx ends; then it kills what still runs (process groups) and
// waits for it. Those tasks are not reported: they end with the runner.
func (r *Runner) Run(ctx context.Context) {
	// The timer runs only while something is queued: an idle process
	// should not wake ten times a second for nothing.
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var calls []func()
		select {
		case <-ctx.Done():
			r.killAll()
			return
		case n := <-r.exits:
			calls = r.collect(n, calls)
		case <-timer.C:
		case <-r.wake:
		}
		calls = r.startDue(calls)
		calls = r.killTimedOut(calls)
		// Callbacks run without the lock: they may call Add or Snapshot.
		for _, c := range calls {
			c()
		}
		if q, _ := r.Counts(); q > 0 {
			timer.Reset(r.cfg.Tick)
		} else {
			timer.Stop()
		}
	}
}

func (r *Runner) startDue(calls []func()) []func() {
	now := r.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	running := r.runningLocked()
	busy := map[string]bool{}
	if r.cfg.PerKey {
		for _, e := range r.queue {
			if e.running {
				busy[e.t.Key] = true
			}
		}
	}
	seen := map[string]bool{}
	// A copy: a task that cannot start may leave the queue in the loop.
	for _, e := range append([]*entry(nil), r.queue...) {
		if running >= r.cfg.MaxRunning {
			break
		}
		if r.cfg.PerKey {
			first := !seen[e.t.Key]
			seen[e.t.Key] = true
			if !first || busy[e.t.Key] {
				continue
			}
		}
		if e.running || now.Before(e.t.NotBefore) {
			continue
		}
		e.t.Attempts++
		cmd := e.t.Command(e.t.Attempts)
		// Its own process group, so a timeout kills its children too.
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setpgid = true
		if err := cmd.Start(); err != nil {
			calls = r.endLocked(e, Exit{Attempt: e.t.Attempts, StartErr: err, Code: -1}, now, calls)
			continue
		}
		e.running, e.cmd, e.pid, e.started, e.killed = true, cmd, cmd.Process.Pid, now, false
		running++
		busy[e.t.Key] = true
		if f := r.pol.Started; f != nil {
			t, pid := e.t, e.pid
			calls = append(calls, func() { f(&t, pid) })
		}
		go func() { r.exits <- exitNote{e, cmd.Wait()} }()
	}
	return calls
}

// collect turns a finished process into an Exit and acts on it.
func (r *Runner) collect(n exitNote, calls []func()) []func() {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := Exit{Attempt: n.e.t.Attempts, Err: n.err, TimedOut: n.e.killed}
	var ee *exec.ExitError
	if errors.As(n.err, &ee) {
		x.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			x.Signal = ws.Signal()
		}
	} else if n.err != nil {
		x.Code = -1
	}
	n.e.running, n.e.cmd, n.e.pid = false, nil, 0
	return r.endLocked(n.e, x, r.clock.Now(), calls)
}

// endLocked decides what follows an attempt: removal when it succeeded or
// is given up, a later start when the policy retries it.
func (r *Runner) endLocked(e *entry, x Exit, now time.Time, calls []func()) []func() {
	t := &e.t
	if x.OK() {
		r.removeLocked(e)
		if f := r.pol.Done; f != nil {
			calls = append(calls, func() { f(t, x) })
		}
		return calls
	}
	if r.pol.Retry != nil {
		if d, again := r.pol.Retry(t, x); again {
			t.NotBefore = now.Add(d)
			if f := r.pol.Failed; f != nil {
				tc := *t
				calls = append(calls, func() { f(&tc, x, d) })
			}
			return calls
		}
	}
	r.removeLocked(e)
	if f := r.pol.GaveUp; f != nil {
		calls = append(calls, func() { f(t, x) })
	}
	return calls
}

func (r *Runner) removeLocked(e *entry) {
	for i, q := range r.queue {
		if q == e {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return
		}
	}
}

func (r *Runner) timeout() time.Duration {
	if r.pol.Timeout != nil {
		return r.pol.Timeout()
	}
	return r.cfg.Timeout
}

func (r *Runner) killTimedOut(calls []func()) []func() {
	limit := r.timeout()
	now := r.clock.Now()
	type victim struct {
		t   Task
		pid int
		ran time.Duration
	}
	var vs []victim
	r.mu.Lock()
	for _, e := range r.queue {
		if e.running && !e.killed && now.Sub(e.started) > limit {
			e.killed = true
			vs = append(vs, victim{e.t, e.pid, now.Sub(e.started)})
		}
	}
	r.mu.Unlock()
	// A process that ended a moment ago may be reaped already: its group
	// is gone and the kill finds nothing (ESRCH), which is fine.
	for _, v := range vs {
		// Reported before the kill, as redis-sentinel does.
		if f := r.pol.TimedOut; f != nil {
			f(&v.t, v.pid, v.ran)
		}
		if err := syscall.Kill(-v.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			r.logger.Warn("procrun: kill", "pid", v.pid, "err", fmt.Errorf("kill process group: %w", err))
		}
	}
	return calls
}

// killAll kills every running process group and waits for the exits.
func (r *Runner) killAll() {
	r.mu.Lock()
	n := 0
	for _, e := range r.queue {
		if e.running {
			syscall.Kill(-e.pid, syscall.SIGKILL)
			n++
		}
	}
	r.mu.Unlock()
	for range n {
		n := <-r.exits
		r.mu.Lock()
		n.e.running, n.e.cmd, n.e.pid = false, nil, 0
		r.mu.Unlock()
	}
}
