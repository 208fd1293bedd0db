package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/cpuprofile"
)

// profileFake starts the CPU profile BENCH_FAKE_CPUPROFILE asks for and
// returns what ends it (also ended by a timer after
// BENCH_FAKE_PROFILE_SECONDS, since the bench kills its fake hosts).
func profileFake() func() {
	path := strings.ReplaceAll(os.Getenv("BENCH_FAKE_CPUPROFILE"), "%p", strconv.Itoa(os.Getpid()))
	if path == "" {
		return func() {}
	}
	return cpuprofile.Window(path, cpuprofile.EnvSeconds("BENCH_FAKE_PROFILE_AFTER"), cpuprofile.EnvSeconds("BENCH_FAKE_PROFILE_SECONDS"))
}
