package hooks

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of Config, documented in README's Hooks section.
const (
	DefaultConcurrency = 4
	DefaultTimeout     = time.Minute
	DefaultMaxAttempts = 20
	DefaultBackoff     = time.Second
	DefaultBackoffMax  = time.Minute
)

// Rule runs Argv for events whose type matches Event (a glob pattern).
type Rule struct {
	Event string
	Argv  []string
}

// Config of the runner. Zero durations and counts take the defaults.
type Config struct {
	Rules       []Rule
	Journal     string        // file path of the journal
	Concurrency int           // runs at once across masters and hooks
	Timeout     time.Duration // per attempt
	// MaxAttempts is how many times a run starts before it is given up
	// (logged as an error and dropped from the journal).
	MaxAttempts int
	// Backoff is the delay before the first retry, doubled after each
	// further failure up to BackoffMax.
	Backoff    time.Duration
	BackoffMax time.Duration
	// Observer hears how runs go (metrics); nil: nobody.
	Observer Observer
}

// Validate reports the unusable settings; negative values are refused
// rather than silently replaced by a default.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Rules) > 0 && c.Journal == "" {
		errs = append(errs, errors.New("hooks: a journal path is required"))
	}
	for i, r := range c.Rules {
		if r.Event == "" || len(r.Argv) == 0 || r.Argv[0] == "" {
			errs = append(errs, fmt.Errorf("hooks[%d]: an event and a non-empty command are required", i))
		}
	}
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"concurrency", int64(c.Concurrency)}, {"timeout", int64(c.Timeout)}, {"max attempts", int64(c.MaxAttempts)},
		{"backoff", int64(c.Backoff)}, {"backoff max", int64(c.BackoffMax)},
	} {
		if n.v < 0 {
			errs = append(errs, fmt.Errorf("hooks: %s must not be negative", n.name))
		}
	}
	if c.Backoff > 0 && c.BackoffMax > 0 && c.BackoffMax < c.Backoff {
		errs = append(errs, fmt.Errorf("hooks: backoff max %v is below backoff %v", c.BackoffMax, c.Backoff))
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero settings.
func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.BackoffMax == 0 {
		c.BackoffMax = max(DefaultBackoffMax, c.Backoff)
	}
	if c.Observer == nil {
		c.Observer = nopObserver{}
	}
	return c
}
