package failover

import (
	"context"
	"errors"
	"log/slog"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ScriptLimits are redis-sentinel's script limits (SENTINEL DEBUG can
// change the run time and the retry delay).
type ScriptLimits struct {
	MaxQueue   int
	MaxRunning int
	MaxRetry   int
	MaxRuntime time.Duration
	RetryDelay time.Duration
}

// DefaultScriptLimits are redis-sentinel 7.0's.
func DefaultScriptLimits() ScriptLimits {
	return ScriptLimits{MaxQueue: 256, MaxRunning: 16, MaxRetry: 10, MaxRuntime: time.Minute, RetryDelay: 30 * time.Second}
}

// PendingScript is one entry of SENTINEL PENDING-SCRIPTS.
type PendingScript struct {
	Argv       []string
	Running    bool
	PID        int
	RunTime    time.Duration // when running
	RunDelay   time.Duration // until the next start, when waiting
	RetryCount int
}

type job struct {
	argv    []string
	running bool
	cmd     *exec.Cmd
	start   time.Time // next start when waiting, actual start when running
	retries int
	killed  bool
}

// Scripts is redis-sentinel's script queue: notification-script and
// client-reconfig-script runs, at most MaxRunning at once, retried when
// they exit 1 or die of a signal, killed (with their process group) after
// MaxRuntime.
type Scripts struct {
	limits func() ScriptLimits
	logger *slog.Logger

	mu    sync.Mutex
	queue []*job
	wake  chan struct{}
	exits chan exitNote
}

type exitNote struct {
	j   *job
	err error
}

// NewScripts makes an idle queue; Run executes it.
func NewScripts(limits func() ScriptLimits, logger *slog.Logger) *Scripts {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Scripts{limits: limits, logger: logger, wake: make(chan struct{}, 1), exits: make(chan exitNote, 64)}
}

// Schedule queues argv (argv[0] is the script). When the queue is full the
// oldest waiting entry is dropped, as redis does.
func (s *Scripts) Schedule(argv ...string) {
	l := s.limits()
	s.mu.Lock()
	s.queue = append(s.queue, &job{argv: argv, start: time.Now()})
	if len(s.queue) > l.MaxQueue {
		for i, j := range s.queue {
			if !j.running {
				s.logger.Warn("-script-error dropped: queue full", "script", strings.Join(j.argv, " "))
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Pending lists the queue in order.
func (s *Scripts) Pending() []PendingScript {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	out := make([]PendingScript, 0, len(s.queue))
	for _, j := range s.queue {
		p := PendingScript{Argv: append([]string(nil), j.argv...), Running: j.running, RetryCount: j.retries}
		if j.running {
			p.PID = j.cmd.Process.Pid
			p.RunTime = now.Sub(j.start)
		} else if d := j.start.Sub(now); d > 0 {
			p.RunDelay = d
		}
		out = append(out, p)
	}
	return out
}

// Running is how many scripts run now.
func (s *Scripts) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.queue {
		if j.running {
			n++
		}
	}
	return n
}

// Queued is every entry, running or waiting (sentinel_scripts_queue_length).
func (s *Scripts) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// Run starts due scripts, collects their exits and kills those over time,
// until ctx ends; then it kills what still runs and waits for it.
func (s *Scripts) Run(ctx context.Context) {
	// The timer runs only while something is queued: an idle sentinel
	// should not wake ten times a second for nothing.
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			s.killAll()
			return
		case n := <-s.exits:
			s.collect(n)
		case <-timer.C:
		case <-s.wake:
		}
		s.startDue()
		s.killTimedOut()
		if s.Queued() > 0 {
			timer.Reset(100 * time.Millisecond)
		} else {
			timer.Stop()
		}
	}
}

func (s *Scripts) startDue() {
	l := s.limits()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	running := 0
	for _, j := range s.queue {
		if j.running {
			running++
		}
	}
	for _, j := range s.queue {
		if running >= l.MaxRunning {
			return
		}
		if j.running || j.start.After(now) {
			continue
		}
		// The path as given, as redis's execve: a relative one is
		// relative to the working directory (dir), never looked up in
		// PATH, which exec.Command would do for "notify.sh".
		cmd := &exec.Cmd{Path: j.argv[0], Args: j.argv}
		// Own process group, so a timeout kills the script's children too.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			// Like redis: a script that cannot start counts as exit 1.
			s.logger.Warn("-script-error", "script", j.argv[0], "err", err)
			s.retryLocked(j, l, now)
			continue
		}
		j.running, j.cmd, j.start, j.killed = true, cmd, now, false
		running++
		s.logger.Debug("+script-child", "pid", cmd.Process.Pid, "script", j.argv[0])
		go func() {
			err := cmd.Wait()
			s.exits <- exitNote{j, err}
		}()
	}
}

// retryLocked schedules j again with redis's growing delay, or drops it
// after MaxRetry attempts.
func (s *Scripts) retryLocked(j *job, l ScriptLimits, now time.Time) {
	j.running, j.cmd = false, nil
	j.retries++
	if j.retries > l.MaxRetry {
		s.removeLocked(j)
		return
	}
	delay := l.RetryDelay
	for i := 1; i < j.retries && delay < time.Hour; i++ {
		delay *= 2
	}
	j.start = now.Add(delay)
}

func (s *Scripts) removeLocked(j *job) {
	for i, q := range s.queue {
		if q == j {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			return
		}
	}
}

func (s *Scripts) collect(n exitNote) {
	l := s.limits()
	code, signaled := 0, false
	var ee *exec.ExitError
	if errors.As(n.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			signaled = true
		}
		code = ee.ExitCode()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 1 || signaled {
		s.logger.Warn("-script-error", "script", n.j.argv[0], "exit", code, "signaled", signaled)
		s.retryLocked(n.j, l, time.Now())
		return
	}
	if code != 0 {
		s.logger.Warn("-script-error", "script", n.j.argv[0], "exit", code)
	}
	s.removeLocked(n.j)
}

func (s *Scripts) killTimedOut() {
	l := s.limits()
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.queue {
		if j.running && !j.killed && now.Sub(j.start) > l.MaxRuntime {
			s.logger.Warn("-script-timeout", "script", j.argv[0], "pid", j.cmd.Process.Pid)
			syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
			j.killed = true
		}
	}
}

// killAll stops every running script (process groups) and waits for them.
func (s *Scripts) killAll() {
	s.mu.Lock()
	n := 0
	for _, j := range s.queue {
		if j.running {
			syscall.Kill(-j.cmd.Process.Pid, syscall.SIGKILL)
			n++
		}
	}
	s.mu.Unlock()
	for range n {
		<-s.exits
	}
}
