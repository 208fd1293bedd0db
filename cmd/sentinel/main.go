// Command sentinel is a drop-in replacement for redis-sentinel.
//
//	sentinel /etc/redis/sentinel.conf [--port 26380] [--loglevel warning]
//	sentinel --config sentinel.yaml
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/cpuprofile"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code; it is main without os.Exit so that
// tests can drive it.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "--help", "help":
			fmt.Fprint(stdout, usage())
			return 0
		case "status":
			return status(context.Background(), args[1:], stdout, stderr)
		case "haproxy-config":
			return haproxyConfig(args[1:], stdout, stderr)
		case "check-config":
			return checkConfig(args[1:], stdout, stderr)
		case "export-config":
			return exportConfig(args[1:], stdout, stderr)
		case "-v", "--version", "version":
			fmt.Fprintln(stdout, versionLine())
			return 0
		}
	}
	if tuneGC() {
		// A quarter of the default while idle (gcpace.go): the heap
		// (most of our RSS) grows to 1.25 times what is live, not 2
		// times. Cheap because an idle sentinel allocates little
		// (hellos, PINGs and replies reuse their buffers). 50 instead:
		// at 5,000 masters 61-67 MB anonymous memory instead of 51-52.
		// The app raises it while failovers run, and lowers it for a
		// large heap (gcPacer).
		debug.SetGCPercent(idleGCPercent)
	}
	defer startProfiles()()
	sigs := catchSignals()
	defer signal.Stop(sigs)
	child := isDaemonChild()
	startDir, _ := os.Getwd()
	app, err := load(args, stdout, stderr)
	if err != nil {
		var shown shownError
		if !errors.As(err, &shown) {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	supervised := false
	if !child {
		supervised, app.notifier = app.supervise()
	}
	background := app.srv.Daemonize && !supervised
	if background && !child {
		// The parent's part ends here, with 0, as redis's daemonize().
		if err := daemonize(args, startDir); err != nil {
			app.fail("Start failed, exiting", err)
			return 1
		}
		return 0
	}
	if err := app.build(); err != nil {
		app.fail("Start failed, exiting", err)
		return 1
	}
	return app.serve(sigs, background)
}

// version is the redis-sentinel version we answer as; tools parse
// "v=7.0.15" from --version as they do from redis-sentinel's.
const version = "7.0.15"

// release is qsentinel's own version, shown by --version beside redis's.
const release = "0.1.0"

// versionLine is --version: redis's "v=" field, then ours (the release,
// and the commit Go stamps from the VCS when it builds in a checkout).
func versionLine() string {
	rev, dirty := "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if rev != "" {
		if dirty {
			rev += "-dirty"
		}
		rev = " rev=" + rev
	}
	return fmt.Sprintf("sentinel (redis-sentinel 7.0 compatible) v=%s qsentinel=%s%s go=%s", version, release, rev, runtime.Version())
}

// usage is --help: every form of the command and every option of ours.
func usage() string {
	return `Usage:
  sentinel <sentinel.conf> [--<directive> <value> ...] [our options]
      Start with a redis-sentinel config file; it is rewritten like
      redis-sentinel rewrites it, so the file stays usable by redis-sentinel.
      Redis-style options (--port 26380, --loglevel warning, any directive)
      are read after the file, as redis-sentinel reads them.
  sentinel --config <sentinel.yaml> [our options]
      Start with a YAML config (see sentinel.example.yaml); runtime state is
      kept in a state file in dir. SENTINEL_<KEY> environment variables
      override top-level keys; redis-style options are refused.
  sentinel haproxy-config <sentinel.conf | --config sentinel.yaml> --agent-addr host:port [options]
      Print (or --output) a haproxy.cfg: a frontend per master, servers
      checked by our agent-check; see sentinel haproxy-config --help.
  sentinel status [--addr host:port] [--password p] [--user u] [--json] [--watch 1s]
      Masters, replicas and sentinels of a running instance (ours or
      redis-sentinel); see sentinel status --help.
  sentinel check-config <sentinel.conf [--<directive> <value> ...] | --config sentinel.yaml>
      Read and check a config as a start would, changing nothing.
  sentinel export-config <sentinel.conf>
      Print the config with its state-config-file merged in: one file that
      redis-sentinel reads as the same state.
  sentinel --version
  sentinel --help

Our options (after the .conf path or with --config; "--name value" or
"--name=value"; on the command line they win over the YAML keys):
` + ourOptionsHelp()
}

// shownError is an error already printed in its final form (redis's FATAL
// CONFIG FILE ERROR block), so run must not print it again.
type shownError struct{ error }

// startProfiles serves profiling a running instance (BENCHMARKS.md):
// SENTINEL_CPUPROFILE gets a CPU profile, SENTINEL_TRACE an execution
// trace (where a goroutine waited, and for what: `go tool trace -pprof=sync`)
// and SENTINEL_MEMPROFILE a heap profile (and beside it the goroutine list, <path>.goroutines, and the
// text form with runtime.MemStats, <path>.txt), written
// when the returned func runs (at exit) or, with SENTINEL_PROFILE_SECONDS,
// that long after start (and a first one, <path>.base, halfway), so that an instance a benchmark kills with
// SIGKILL still leaves them; with SENTINEL_PROFILE_AFTER the CPU profile
// begins that many seconds after start. "%p" in a path is the process id, for
// benchmarks that start several instances with the same environment.
func startProfiles() func() {
	pid := strconv.Itoa(os.Getpid())
	cpuPath := strings.ReplaceAll(os.Getenv("SENTINEL_CPUPROFILE"), "%p", pid)
	memPath := strings.ReplaceAll(os.Getenv("SENTINEL_MEMPROFILE"), "%p", pid)
	tracePath := strings.ReplaceAll(os.Getenv("SENTINEL_TRACE"), "%p", pid)
	if memPath == "" {
		// Nobody reads the heap profile: without this the runtime samples
		// an allocation every 512 KiB for good, and each new call stack
		// touches another page of its 1.4 MB bucket table and keeps a
		// record (anonymous memory that only grows with the uptime).
		runtime.MemProfileRate = 0
	}
	if cpuPath == "" && memPath == "" && tracePath == "" {
		return func() {}
	}
	if memPath != "" {
		// The default (one sample per 512 KiB) sees next to nothing of a
		// heap of a few megabytes.
		runtime.MemProfileRate = 4096
	}
	stopCPU := func() {}
	if cpuPath != "" {
		// SENTINEL_PROFILE_AFTER (seconds) leaves the start out of the
		// CPU profile: a benchmark's set-up would otherwise outweigh the
		// failover it is after.
		stopCPU = cpuprofile.Window(cpuPath, cpuprofile.EnvSeconds("SENTINEL_PROFILE_AFTER"), 0)
	}
	var tr *os.File
	if tracePath != "" {
		if f, err := os.Create(tracePath); err == nil && trace.Start(f) == nil {
			tr = f
		}
	}
	var once sync.Once
	finish := func() {
		once.Do(func() {
			if tr != nil {
				trace.Stop()
				tr.Close()
			}
			stopCPU()
			if memPath != "" {
				writeHeapProfile(memPath)
				if f, err := os.Create(memPath + ".txt"); err == nil {
					// debug=1 text ends with runtime.MemStats: where the
					// heap, stacks and runtime's own memory go.
					pprof.Lookup("heap").WriteTo(f, 1)
					f.Close()
				}
				if f, err := os.Create(memPath + ".goroutines"); err == nil {
					pprof.Lookup("goroutine").WriteTo(f, 1)
					f.Close()
				}
			}
		})
	}
	if secs := cpuprofile.EnvSeconds("SENTINEL_PROFILE_SECONDS"); secs > 0 {
		time.AfterFunc(secs, finish)
		if memPath != "" {
			// A first heap profile halfway, for `go tool pprof -base`:
			// what the sentinel allocated in the second half alone
			// (an idle sentinel's garbage, without the start's).
			time.AfterFunc(secs/2, func() { writeHeapProfile(memPath + ".base") })
		}
	}
	return finish
}

// writeHeapProfile writes the heap profile to path after a collection.
// A heap profile is as of the last collection but one, which at idle can
// be tens of seconds old (a start's garbage still "in use"); collecting
// first also makes the halfway profile and the last one end at the
// moment they are written, so that `pprof -base` compares what was
// allocated between those two moments (without it the halfway one had
// left out what the start's last seconds allocated, and the difference
// counted it).
func writeHeapProfile(path string) {
	runtime.GC()
	if f, err := os.Create(path); err == nil {
		pprof.Lookup("heap").WriteTo(f, 0)
		f.Close()
	}
}
