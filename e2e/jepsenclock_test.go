package e2e

import (
	"time"

	"golang.org/x/sys/unix"
)

// jumpClock moves the machine's wall clock (CLOCK_REALTIME) d ahead;
// restoreClock puts it back where it would be without the jump. Every
// process on the host sees it. The monotonic clock does not move, which
// is how restoreClock knows the real time: the wall time of the jump plus
// the monotonic time since. A test that fails in between still gets its
// clock back (cleanup).
func (r *jepsenRig) jumpClock(d time.Duration) {
	r.t.Helper()
	if !r.clock0.IsZero() {
		r.t.Fatalf("the clock jumped already")
	}
	start := time.Now()
	if err := setWallClock(start.Add(d)); err != nil {
		r.t.Skipf("cannot set the wall clock (CAP_SYS_TIME needed): %v", err)
	}
	r.clock0 = start
	r.t.Cleanup(r.restoreClock)
}

func (r *jepsenRig) restoreClock() {
	if r.clock0.IsZero() {
		return
	}
	// Round(0) drops the monotonic reading: the wall time of the jump.
	now := r.clock0.Round(0).Add(time.Since(r.clock0))
	if err := setWallClock(now); err != nil {
		r.t.Errorf("wall clock left %v off: %v", time.Until(now), err)
		return
	}
	r.clock0 = time.Time{}
}

func setWallClock(t time.Time) error {
	ts := unix.NsecToTimespec(t.UnixNano())
	return unix.ClockSettime(unix.CLOCK_REALTIME, &ts)
}
