// Package cpuprofile writes a CPU profile of a window of a process's
// life: from a delay after the call (a benchmark's set-up left out) until
// a timer or the returned stop, whichever comes first. A process the
// benchmark kills with SIGKILL still leaves its profile when the timer
// ends it.
package cpuprofile

import (
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// Window starts a CPU profile into path after the given delay (at once
// for 0) and stops it after until (0: only when stop is called). stop is
// safe to call more than once, and before the profile started: then none
// is started. An error creating the file or starting the profile leaves
// no profile, as the caller has nowhere to report it but its log.
func Window(path string, after, until time.Duration) (stop func()) {
	var mu sync.Mutex
	var f *os.File
	stopped := false
	start := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if out, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(out) == nil {
				f = out
			} else {
				out.Close()
			}
		}
	}
	stop = func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	if after > 0 {
		time.AfterFunc(after, start)
	} else {
		start()
	}
	if until > 0 {
		time.AfterFunc(until, stop)
	}
	return stop
}

// EnvSeconds is the whole number of seconds in the environment variable
// name, as the profiling variables give a window's bounds; 0 when unset,
// not a number, or not positive.
func EnvSeconds(name string) time.Duration {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
