// Package hooks runs operator commands on sentinel events, at least once.
//
// A rule maps an event name or glob pattern ("+switch-master", "+*down")
// to a command given as an argv list. When an event matches, the run is
// written to a journal (atomically, fsynced) before anything starts, and
// removed only after the command exited 0. A failed run is retried with
// backoff; a run that passes its timeout is killed with its whole process
// group and retried; runs still in the journal after a crash run again at
// the next start.
//
// Order: each hook (rule) sees the events of one master in the order they
// happened, one run at a time; the next run of that hook and master waits
// for the previous to succeed or be given up. That is the order a hook
// that applies state (a DNS record, a load balancer) needs: a retried old
// +switch-master must never land after a newer one. Different hooks, and
// different masters, do not wait for each other, so one failing hook
// delays only its own later runs; they run in parallel up to a limit.
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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/atomicfile"
	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/glob"
	"github.com/qsentinel/qsentinel/procrun"
)

// Run is one journaled execution.
type Run struct {
	ID      string `json:"id"`
	Master  string `json:"master"`
	Event   string `json:"event"`
	Payload string `json:"payload"`
	// Hook is the rule's command line, which orders runs (with Master)
	// and names them in logs and metrics. Missing from a journal written
	// before it existed: load finds it from the rules (legacyHook).
	Hook string   `json:"hook,omitempty"`
	Argv []string `json:"argv"`
	// Env holds the event's own variables (SENTINEL_OLD_IP...), taken
	// from its fields when it was journaled. Never omitted, so nil means
	// a journal written before events were typed (see legacyEnv).
	Env       []string  `json:"env"`
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"not_before"` // earliest next start (backoff)
}

// hookName is how logs and metrics name the run's hook.
func (run *Run) hookName() string {
	if run.Hook != "" {
		return run.Hook
	}
	return run.Argv[0]
}

// key orders runs: one hook of one master at a time, in event order.
func (run *Run) key() string {
	if run.Hook == "" {
		return run.Master
	}
	return run.Master + "\x00" + run.Hook
}

// Runner owns the journal; the processes are a procrun.Runner's, one run
// at a time per hook and master.
type Runner struct {
	cfg    Config
	logger *slog.Logger
	procs  *procrun.Runner

	mu   sync.Mutex // held while the journal and the runner's queue change together
	runs []*Run     // journal order = event order

	amu      sync.Mutex // a leaf lock: nothing else is taken under it
	attempts map[*Run]*attempt
}

// New loads the journal: runs left by a previous process are pending.
func New(cfg Config, logger *slog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Runner{cfg: cfg, logger: logger, attempts: map[*Run]*attempt{}}
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
	names := make([]string, 0, len(cfg.Rules))
	for _, rule := range cfg.Rules {
		names = append(names, commandLine(rule.Argv))
	}
	cfg.Observer.Rules(names)
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// load queues the runs a previous process left in the journal.
func (r *Runner) load() error {
	if r.cfg.Journal == "" {
		return nil
	}
	b, err := os.ReadFile(r.cfg.Journal)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("hooks journal: %w", err)
	}
	if err := json.Unmarshal(b, &r.runs); err != nil {
		return fmt.Errorf("hooks journal %s: %w", r.cfg.Journal, err)
	}
	if len(r.runs) > 0 {
		r.logger.Warn("hooks: runs left in the journal by the last process will run again", "count", len(r.runs))
	}
	for _, run := range r.runs {
		if run.Hook == "" {
			run.Hook = r.legacyHook(run)
		}
		r.procs.Add(r.task(run))
	}
	r.cfg.Observer.Queue(len(r.runs), 0)
	return nil
}

// legacyHook finds the rule a run journaled before runs named their hook
// came from (its argv starts with the rule's, and the rule matches its
// event), so that it keeps its place in that hook's order; "" when no
// rule fits any more (it is then ordered per master only).
func (r *Runner) legacyHook(run *Run) string {
	for _, rule := range r.cfg.Rules {
		if len(run.Argv) > len(rule.Argv) && slices.Equal(run.Argv[:len(rule.Argv)], rule.Argv) &&
			run.Argv[len(rule.Argv)] == run.Event && glob.Match(rule.Event, run.Event) {
			return commandLine(rule.Argv)
		}
	}
	return ""
}

// commandLine is a rule's argv as one line, for people and metrics.
func commandLine(argv []string) string { return strings.Join(argv, " ") }

// task is the procrun side of a journaled run.
func (r *Runner) task(run *Run) procrun.Task {
	return procrun.Task{
		Key:       run.key(),
		Attempts:  run.Attempts,
		NotBefore: run.NotBefore,
		Data:      run,
		Command: func(attempt int) *exec.Cmd {
			cmd := exec.Command(run.Argv[0], run.Argv[1:]...)
			cmd.Env = append(os.Environ(), env(run, attempt)...)
			tail := &stderrTail{}
			cmd.Stderr = tail
			r.beginAttempt(run, tail)
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
			Hook: commandLine(rule.Argv), Argv: argv, Env: vars})
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
	_, running := r.procs.Counts()
	r.cfg.Observer.Queue(len(r.runs), running)
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
