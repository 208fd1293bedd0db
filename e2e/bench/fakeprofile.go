package main

import (
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"
)

// profileFake starts the CPU profile BENCH_FAKE_CPUPROFILE asks for and
// returns what ends it (also called by a timer after
// BENCH_FAKE_PROFILE_SECONDS, since the bench kills its fake hosts).
func profileFake() func() {
	path := strings.ReplaceAll(os.Getenv("BENCH_FAKE_CPUPROFILE"), "%p", strconv.Itoa(os.Getpid()))
	if path == "" {
		return func() {}
	}
	var mu sync.Mutex
	var f *os.File
	start := func() {
		mu.Lock()
		defer mu.Unlock()
		if out, err := os.Create(path); err == nil && pprof.StartCPUProfile(out) == nil {
			f = out
		}
	}
	stop := func() {
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
			f = nil
		}
	}
	if after, err := strconv.Atoi(os.Getenv("BENCH_FAKE_PROFILE_AFTER")); err == nil && after > 0 {
		time.AfterFunc(time.Duration(after)*time.Second, start)
	} else {
		start()
	}
	if secs, err := strconv.Atoi(os.Getenv("BENCH_FAKE_PROFILE_SECONDS")); err == nil && secs > 0 {
		time.AfterFunc(time.Duration(secs)*time.Second, stop)
	}
	return stop
}
