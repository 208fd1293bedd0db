package procrun

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Clock is the runner's source of time (a seam for tests).
type Clock interface{ Now() time.Time }

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Config is a runner's fixed settings.
type Config struct {
	// MaxQueue bounds the tasks held, running or waiting; when an Add
	// goes past it the oldest waiting task is dropped. 0: no bound.
	MaxQueue int
	// MaxRunning is how many processes run at once.
	MaxRunning int
	// PerKey runs the tasks of one key one at a time, in the order they
	// were added: a later task waits until the earlier one is done or
	// given up.
	PerKey bool
	// Timeout is how long an attempt may run before its process group is
	// killed (Policy.Timeout, when set, overrides it at each check).
	Timeout time.Duration
	// Tick is how often the loop looks at the queue while it holds
	// anything (for due retries and timeouts); it sleeps while empty.
	Tick time.Duration
	// Clock gives the time; nil: the wall clock.
	Clock Clock
	// Logger; nil: discarded.
	Logger *slog.Logger
}

// DefaultConfig is a runner of 4 at once, no queue bound, no per-key
// order, a 60 s timeout and a 100 ms tick.
func DefaultConfig() Config {
	return Config{MaxRunning: 4, Timeout: time.Minute, Tick: 100 * time.Millisecond}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	var errs []error
	if c.MaxQueue < 0 {
		errs = append(errs, fmt.Errorf("procrun: MaxQueue %d is negative", c.MaxQueue))
	}
	if c.MaxRunning < 1 {
		errs = append(errs, fmt.Errorf("procrun: MaxRunning %d must be at least 1", c.MaxRunning))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("procrun: Timeout %v must be positive", c.Timeout))
	}
	if c.Tick <= 0 {
		errs = append(errs, fmt.Errorf("procrun: Tick %v must be positive", c.Tick))
	}
	return errors.Join(errs...)
}
