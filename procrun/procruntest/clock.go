// Package procruntest holds test helpers for users of procrun: a clock
// that moves only when told, so retry delays and timeouts need no sleep,
// and short shell scripts to run.
package procruntest

import (
	"sync"
	"time"
)

// Clock is a procrun.Clock that stands still until Advance.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at a fixed instant, so runs are alike.
func NewClock() *Clock { return &Clock{now: time.Unix(1e9, 0)} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
