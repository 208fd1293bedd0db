package sim

import "time"

// After runs fn on the node's behalf d from now: work of its own that
// takes time, such as a save reaching the disk. It goes through the
// world's event queue like everything else, so a run stays a function of
// its seed. fn does not run if the node crashed or restarted meanwhile
// (the work died with the process), and it waits while the node is frozen:
// a stopped process does not see its write finish until it runs again.
// Call it from the node's Receive, Tick or an earlier After.
func (e *Endpoint) After(d time.Duration, fn func()) {
	w, inc := e.w, e.incarnation
	var run func()
	run = func() {
		if e.incarnation != inc || e.node == nil {
			return
		}
		if w.now.Before(e.frozenUntil) {
			w.schedule(e.frozenUntil, run)
			return
		}
		fn()
	}
	w.schedule(w.now.Add(d), run)
}
