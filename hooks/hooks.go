// Package hooks runs operator commands on sentinel events, at least once.
//
// A rule maps an event name or glob pattern ("+switch-master", "+*down")
// to a command given as an argv list. When an event matches, the run is
// written to a journal (atomically, fsynced) before anything starts, and
// removed only after the command exited 0. A failed run is retried with
// backoff; a run that passes its timeout is killed with its whole process
// group and retried; runs still in the journal after a crash run again at
// the next start. Runs of one master keep their order (the next waits for
// the previous to succeed or be given up); different masters run in
// parallel up to a limit.
//
// Each run gets the event as arguments after the configured argv
// (<event> <payload words...>) and as environment variables:
// SENTINEL_EVENT, SENTINEL_PAYLOAD, SENTINEL_MASTER, SENTINEL_HOOK_ID,
// SENTINEL_HOOK_ATTEMPT, and for +switch-master SENTINEL_OLD_IP,
// SENTINEL_OLD_PORT, SENTINEL_NEW_IP, SENTINEL_NEW_PORT; for instance
// events ("<type> <name> <ip> <port> @ <master> <ip> <port>")
// SENTINEL_INSTANCE_TYPE, SENTINEL_INSTANCE_NAME, SENTINEL_INSTANCE_IP,
// SENTINEL_INSTANCE_PORT.
package hooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/atomicfile"
	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/glob"
	"github.com/qsentinel/qsentinel/procrun"
)

// Rule runs Argv for events whose type matches Event (a glob pattern).
type Rule struct {
	Event string
	Argv  []string
}

// Config of the runner.
type Config struct {
	Rules       []Rule
	Journal     string        // file path of the journal
	Concurrency int           // runs at once across masters (default 4)
	Timeout     time.Duration // per run (default 60 s)
	Backoff     time.Duration // first retry delay, doubled each time (default 1 s, at most 1 min)
	MaxAttempts int           // then the run is dropped with an error (default 20)
}

// Validate reports the first unusable setting.
func (c *Config) Validate() error {
	if len(c.Rules) > 0 && c.Journal == "" {
		return errors.New("hooks: a journal path is required")
	}
	for i, r := range c.Rules {
		if r.Event == "" || len(r.Argv) == 0 || r.Argv[0] == "" {
			return fmt.Errorf("hooks[%d]: an event and a non-empty command are required", i)
		}
	}
	return nil
}

// Run is one journaled execution.
type Run struct {
	ID      string   `json:"id"`
	Master  string   `json:"master"`
	Event   string   `json:"event"`
	Payload string   `json:"payload"`
	Argv    []string `json:"argv"`
	// Env holds the event's own variables (SENTINEL_OLD_IP...), taken
	// from its fields when it was journaled. Never omitted, so nil means
	// a journal written before events were typed (see legacyEnv).
	Env       []string  `json:"env"`
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"not_before"` // earliest next start (backoff)
}

// Runner owns the journal; the processes are a procrun.Runner's, one run
// at a time per master.
type Runner struct {
	cfg    Config
	logger *slog.Logger
	procs  *procrun.Runner

	mu   sync.Mutex // held while the journal and the runner's queue change together
	runs []*Run     // journal order = event order
}

// New loads the journal: runs left by a previous process are pending.
func New(cfg Config, logger *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 20
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, logger: logger}
	pc := procrun.DefaultConfig()
	pc.MaxRunning, pc.Timeout, pc.PerKey, pc.Logger = cfg.Concurrency, cfg.Timeout, true, logger
	procs, err := procrun.New(pc, procrun.Policy{
		Retry:    r.retry,
		Started:  r.started,
		Done:     r.done,
		Failed:   r.failed,
		GaveUp:   r.gaveUp,
		TimedOut: r.timedOut,
	})
	if err != nil {
		return nil, fmt.Errorf("hooks: %w", err)
	}
	r.procs = procs
	if cfg.Journal != "" {
		b, err := os.ReadFile(cfg.Journal)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("hooks journal: %w", err)
		default:
			if err := json.Unmarshal(b, &r.runs); err != nil {
				return nil, fmt.Errorf("hooks journal %s: %w", cfg.Journal, err)
			}
			if len(r.runs) > 0 {
				logger.Warn("hooks: runs left in the journal by the last process will run again", "count", len(r.runs))
			}
			for _, run := range r.runs {
				r.procs.Add(r.task(run))
			}
		}
	}
	return r, nil
}

// task is the procrun side of a journaled run.
func (r *Runner) task(run *Run) procrun.Task {
	return procrun.Task{
		Key:       run.Master,
		Attempts:  run.Attempts,
		NotBefore: run.NotBefore,
		Data:      run,
		Command: func(attempt int) *exec.Cmd {
			cmd := exec.Command(run.Argv[0], run.Argv[1:]...)
			cmd.Env = append(os.Environ(), env(run, attempt)...)
			return cmd
		},
	}
}

// Handle journals a run for every rule the event matches. It returns once
// the journal is on disk; an error means the runs could not be recorded.
func (r *Runner) Handle(e *event.Event) error {
	var add []*Run
	kind := string(e.Kind)
	var payload string
	var words, vars []string
	for _, rule := range r.cfg.Rules {
		if !glob.Match(rule.Event, kind) {
			continue
		}
		if add == nil { // the first match: the event's text and variables, once
			payload, words, vars = e.Payload(), e.Words(), eventEnv(e)
		}
		var id [8]byte
		rand.Read(id[:])
		argv := append(append([]string(nil), rule.Argv...), kind)
		argv = append(argv, words...)
		add = append(add, &Run{ID: hex.EncodeToString(id[:]), Master: e.Master, Event: kind, Payload: payload,
			Argv: argv, Env: vars})
	}
	if len(add) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, add...)
	err := r.saveLocked()
	// Queued under the lock, so the runner's order is the journal's.
	for _, run := range add {
		r.procs.Add(r.task(run))
	}
	return err
}

func (r *Runner) saveLocked() error {
	if r.cfg.Journal == "" {
		return nil
	}
	b, err := json.MarshalIndent(r.runs, "", " ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(r.cfg.Journal, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("hooks journal: %w", err)
	}
	return nil
}

// Pending is a copy of the journal.
func (r *Runner) Pending() []Run {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Run, len(r.runs))
	for i, run := range r.runs {
		out[i] = *run
	}
	return out
}

// Run executes journaled runs until ctx ends; running processes are then
// killed (they stay in the journal and run again at the next start).
func (r *Runner) Run(ctx context.Context) { r.procs.Run(ctx) }

// retry: every failure runs again, after Backoff doubled per earlier
// attempt (at most a minute), until MaxAttempts.
func (r *Runner) retry(t *procrun.Task, _ procrun.Exit) (time.Duration, bool) {
	if t.Attempts >= r.cfg.MaxAttempts {
		return 0, false
	}
	return procrun.Doubling(r.cfg.Backoff, t.Attempts, time.Minute), true
}

// update copies the runner's view of a run into the journal and saves it.
func (r *Runner) update(t *procrun.Task, remove bool) {
	run := t.Data.(*Run)
	r.mu.Lock()
	defer r.mu.Unlock()
	run.Attempts, run.NotBefore = t.Attempts, t.NotBefore
	if remove {
		for i, x := range r.runs {
			if x == run {
				r.runs = append(r.runs[:i], r.runs[i+1:]...)
				break
			}
		}
	}
	if err := r.saveLocked(); err != nil {
		r.logger.Warn("hooks journal", "err", err)
	}
}

// started journals the attempt count, so a crash loop cannot retry
// forever without anyone noticing.
func (r *Runner) started(t *procrun.Task, _ int) { r.update(t, false) }

func (r *Runner) done(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	r.logger.Info("hook done", "id", run.ID, "event", run.Event, "attempt", e.Attempt)
	r.update(t, true)
}

func (r *Runner) failed(t *procrun.Task, e procrun.Exit, _ time.Duration) {
	run := t.Data.(*Run)
	if e.StartErr != nil {
		r.logger.Warn("hook failed to start", "id", run.ID, "argv", run.Argv, "err", e.StartErr)
	} else {
		r.logger.Warn("hook failed, will retry", "id", run.ID, "event", run.Event, "attempt", e.Attempt, "err", e.Err)
	}
	r.update(t, false)
}

func (r *Runner) gaveUp(t *procrun.Task, e procrun.Exit) {
	run := t.Data.(*Run)
	r.logger.Error("hook given up", "id", run.ID, "argv", run.Argv, "attempts", e.Attempt)
	r.update(t, true)
}

func (r *Runner) timedOut(t *procrun.Task, pid int, _ time.Duration) {
	run := t.Data.(*Run)
	r.logger.Warn("hook timed out; killing its process group", "id", run.ID, "pid", pid)
}

func env(run *Run, attempt int) []string {
	e := []string{
		"SENTINEL_EVENT=" + run.Event,
		"SENTINEL_PAYLOAD=" + run.Payload,
		"SENTINEL_MASTER=" + run.Master,
		"SENTINEL_HOOK_ID=" + run.ID,
		fmt.Sprintf("SENTINEL_HOOK_ATTEMPT=%d", attempt),
	}
	if run.Env == nil {
		return append(e, legacyEnv(run)...)
	}
	return append(e, run.Env...)
}

// eventEnv is the event's own variables: the old and new master of a
// +switch-master, else the instance the event is about.
func eventEnv(e *event.Event) []string {
	env := []string{} // not nil: nil marks a legacy run
	switch in := e.Instance; {
	case e.Kind == event.SwitchMaster:
		env = append(env, "SENTINEL_OLD_IP="+e.From.Host, "SENTINEL_OLD_PORT="+strconv.Itoa(e.From.Port),
			"SENTINEL_NEW_IP="+e.To.Host, "SENTINEL_NEW_PORT="+strconv.Itoa(e.To.Port))
	case in.Role != "":
		env = append(env, "SENTINEL_INSTANCE_TYPE="+string(in.Role), "SENTINEL_INSTANCE_NAME="+in.Name,
			"SENTINEL_INSTANCE_IP="+in.Addr.Host, "SENTINEL_INSTANCE_PORT="+strconv.Itoa(in.Addr.Port))
	}
	return env
}

// legacyEnv is eventEnv for a run journaled before events were typed,
// which kept only the payload: the event is read back from its text.
func legacyEnv(run *Run) []string {
	e, _ := event.Parse(event.Kind(run.Event), run.Payload)
	return eventEnv(&e)
}
