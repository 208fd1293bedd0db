package cluster

import (
	"errors"
	"fmt"
	"time"
)

// PollInterval is how often conditions are re-checked. Sentinel state
// changes on 100 ms timer ticks at best, so polling faster buys nothing.
const PollInterval = 50 * time.Millisecond

// Poll calls cond until it returns nil or timeout passes, and returns the
// last error from cond wrapped with the time waited. cond should describe
// what it saw ("replicas=0 flags=master,disconnected") so that a timeout
// says why, not just that.
func Poll(timeout time.Duration, cond func() error) error {
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if errors.Is(err, ErrStop) {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %w", time.Since(start).Round(time.Millisecond), err)
		}
		time.Sleep(PollInterval)
	}
}

// ErrStop, wrapped in an error from a Poll condition, ends the wait at
// once: for states that cannot get better (the process exited).
var ErrStop = errors.New("giving up")

// WaitFor is Poll that fails the test when the condition is not met.
func WaitFor(t TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	if err := Poll(timeout, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}
