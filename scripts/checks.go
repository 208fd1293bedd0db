package scripts

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/procrun"
)

// Checks runs one-shot checks whose exit decides something now — the
// pre-failover-script: exit 0 lets the failover go on, anything else
// (another code, a signal, not starting, running past the timeout) vetoes
// it. Unlike the Queue, nothing is retried (the failover's next attempt
// runs the check again) and nothing waits behind notification scripts.
type Checks struct {
	run *procrun.Runner
}

// checkTask is a check's argv and what to tell when it ends.
type checkTask struct {
	argv []string
	done func(ok bool, why string)
}

// NewChecks makes a runner of at most maxRunning checks at once, each
// killed (with its process group) after timeout().
func NewChecks(maxRunning int, timeout func() time.Duration, logger *slog.Logger) (*Checks, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := procrun.DefaultConfig()
	cfg.MaxRunning, cfg.Logger = maxRunning, logger
	end := func(t *procrun.Task, e procrun.Exit) {
		c := t.Data.(checkTask)
		why := ""
		switch {
		case e.OK():
		case e.TimedOut:
			why = "timed out"
		case e.StartErr != nil:
			why = e.StartErr.Error()
		default:
			why = e.Err.Error()
		}
		if !e.OK() {
			logger.Warn("pre-failover check failed", "command", strings.Join(c.argv, " "), "err", why)
		}
		c.done(e.OK(), why)
	}
	run, err := procrun.New(cfg, procrun.Policy{
		Timeout: timeout,
		Done:    end,
		GaveUp:  end,
	})
	if err != nil {
		return nil, fmt.Errorf("checks: %w", err)
	}
	return &Checks{run: run}, nil
}

// Start runs argv (argv[0] is the script, as given: never looked up in
// PATH) and calls done, from the runner's goroutine, when it ends.
func (c *Checks) Start(argv []string, done func(ok bool, why string)) {
	c.run.Add(procrun.Task{
		Data:    checkTask{argv: argv, done: done},
		Command: func(int) *exec.Cmd { return &exec.Cmd{Path: argv[0], Args: argv} },
	})
}

// Run runs the checks until ctx ends.
func (c *Checks) Run(ctx context.Context) { c.run.Run(ctx) }
