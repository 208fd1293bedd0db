// Package scripts runs redis-sentinel's notification-script and
// client-reconfig-script: redis's queue, retry and timeout policy over one
// procrun.Runner. It is the only part of a failover that starts processes,
// kept out of package failover so that the state machine stays pure.
package scripts

import (
	"context"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/procrun"
)

// Limits are redis-sentinel's script limits (SENTINEL DEBUG can
// change the run time and the retry delay).
type Limits struct {
	MaxQueue   int
	MaxRunning int
	// MaxRetry is how many times a failed script runs again: redis's
	// SENTINEL_SCRIPT_MAX_RETRY counts runs, so 10 there is 9 here.
	MaxRetry   int
	MaxRuntime time.Duration
	RetryDelay time.Duration
}

// DefaultLimits are redis-sentinel 7.0's.
func DefaultLimits() Limits {
	return Limits{MaxQueue: 256, MaxRunning: 16, MaxRetry: 9, MaxRuntime: time.Minute, RetryDelay: 30 * time.Second}
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

// Queue is redis-sentinel's script queue: notification-script and
// client-reconfig-script runs, at most MaxRunning at once, retried when
// they exit 1 or die of a signal, killed (with their process group) after
// MaxRuntime. The queue itself is a procrun.Runner; this file holds
// redis's policy.
type Queue struct {
	limits func() Limits
	logger *slog.Logger
	event  func(event.Event)
	clock  procrun.Clock
	run    *procrun.Runner
}

// Option changes a Queue at creation.
type Option func(*Queue)

// WithScriptEvents passes the script events redis-sentinel publishes
// (-script-error, -script-timeout) to f; without it they are only logged.
// They are global (no master, no instance) and warnings, as in redis.
func WithScriptEvents(f func(event.Event)) Option {
	return func(s *Queue) { s.event = f }
}

// WithScriptClock sets the clock (tests).
func WithScriptClock(c procrun.Clock) Option {
	return func(s *Queue) { s.clock = c }
}

// New makes an idle queue; Run executes it. MaxQueue and
// MaxRunning are read once, here (constants in redis: a MaxRunning below 1
// panics); MaxRuntime and RetryDelay at each use.
func New(limits func() Limits, logger *slog.Logger, opts ...Option) *Queue {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Queue{limits: limits, logger: logger}
	for _, o := range opts {
		o(s)
	}
	// The queue bounds are fixed at creation (constants in redis); the
	// run time is read at each check (Policy.Timeout), since SENTINEL
	// DEBUG changes it and the caller's limits may not be set yet.
	l := limits()
	cfg := procrun.DefaultConfig()
	cfg.MaxQueue, cfg.MaxRunning = l.MaxQueue, l.MaxRunning
	cfg.Clock, cfg.Logger = s.clock, logger
	run, err := procrun.New(cfg, procrun.Policy{
		Retry:    s.retry,
		Timeout:  func() time.Duration { return s.limits().MaxRuntime },
		Started:  func(t *procrun.Task, pid int) { s.logger.Debug("+script-child", "pid", pid, "script", argv(t)[0]) },
		GaveUp:   s.gaveUp,
		TimedOut: s.timedOut,
		Dropped: func(t *procrun.Task) {
			s.logger.Warn("script dropped: queue full", "script", strings.Join(argv(t), " "))
		},
	})
	if err != nil {
		// redis's limits are constants: a bad one is a programming error.
		panic(err)
	}
	s.run = run
	return s
}

func argv(t *procrun.Task) []string { return t.Data.([]string) }

// Schedule queues argv (argv[0] is the script). When the queue is full the
// oldest waiting entry is dropped, as redis does.
func (s *Queue) Schedule(argv ...string) {
	s.run.Add(procrun.Task{
		Data: argv,
		Command: func(int) *exec.Cmd {
			// The path as given, as redis's execve: a relative one is
			// relative to the working directory (dir), never looked up
			// in PATH, which exec.Command would do for "notify.sh".
			return &exec.Cmd{Path: argv[0], Args: argv}
		},
	})
}

// retry is sentinelCollectTerminatedScripts's rule: exit 1 or a signal
// runs again, MaxRetry times, after RetryDelay doubled per earlier run
// (30 s, 1 min, 2 min ... 128 min with redis's limits).
func (s *Queue) retry(t *procrun.Task, e procrun.Exit) (time.Duration, bool) {
	l := s.limits()
	if e.StartErr != nil || (e.Code != 1 && e.Signal == 0) || t.Attempts > l.MaxRetry {
		return 0, false
	}
	return procrun.Doubling(l.RetryDelay, t.Attempts, 0), true
}

// gaveUp is redis's -script-error "<path> <signal> <exit code>", sent
// for any end but a clean exit 0. A script that cannot be executed is
// exit 2, as redis's child exits 2 when execve fails.
func (s *Queue) gaveUp(t *procrun.Task, e procrun.Exit) {
	code, sig := e.Code, int(e.Signal)
	switch {
	case e.StartErr != nil:
		code, sig = 2, 0
		s.logger.Warn("script could not start", "script", argv(t)[0], "err", e.StartErr)
	case sig != 0:
		code = 0 // WEXITSTATUS of a signalled status
	}
	s.emit(event.ScriptError, argv(t)[0]+" "+strconv.Itoa(sig)+" "+strconv.Itoa(code))
}

// timedOut is redis's -script-timeout "<path> <pid>", sent before the kill.
func (s *Queue) timedOut(t *procrun.Task, pid int, _ time.Duration) {
	s.emit(event.ScriptTimeout, argv(t)[0]+" "+strconv.Itoa(pid))
}

func (s *Queue) emit(kind event.Kind, text string) {
	e := event.Event{Level: event.LevelWarning, Kind: kind, Text: text}
	if s.event != nil {
		s.event(e)
		return
	}
	s.logger.Warn(e.String())
}

// Pending lists the queue in order. RetryCount is redis's retry_num: the
// runs started so far, the current one included.
func (s *Queue) Pending() []PendingScript {
	now := time.Now()
	if s.clock != nil {
		now = s.clock.Now()
	}
	st := s.run.Snapshot()
	out := make([]PendingScript, 0, len(st))
	for _, e := range st {
		p := PendingScript{Argv: append([]string(nil), argv(&e.Task)...), Running: e.Running, RetryCount: e.Task.Attempts}
		if e.Running {
			p.PID = e.PID
			p.RunTime = now.Sub(e.Started)
		} else if d := e.NotBefore.Sub(now); d > 0 {
			p.RunDelay = d
		}
		out = append(out, p)
	}
	return out
}

// Running is how many scripts run now.
func (s *Queue) Running() int { _, n := s.run.Counts(); return n }

// Queued is every entry, running or waiting (sentinel_scripts_queue_length).
func (s *Queue) Queued() int { n, _ := s.run.Counts(); return n }

// Run starts due scripts, collects their exits and kills those over time,
// until ctx ends; then it kills what still runs and waits for it.
func (s *Queue) Run(ctx context.Context) { s.run.Run(ctx) }
