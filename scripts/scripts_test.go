package scripts

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/procrun/procruntest"
)

func runScripts(t *testing.T, l Limits) (*Queue, func()) {
	t.Helper()
	s := New(func() Limits { return l }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Run(ctx) }()
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return s, stop
}

func countLines(t *testing.T, path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "\n")
}

func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

func fastLimits() Limits {
	l := DefaultLimits()
	l.RetryDelay = 10 * time.Millisecond
	l.MaxRetry = 2
	return l
}

func TestScriptRetriesAndArgs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	s, _ := runScripts(t, fastLimits())
	ok := procruntest.Script(t, `echo "$@" >> `+out)
	s.Schedule(ok, "+switch-master", "mymaster 1.1.1.1 1 2.2.2.2 2")
	waitCond(t, "exit 0 script ran", func() bool { return countLines(t, out) == 1 && s.Queued() == 0 })
	if b, _ := os.ReadFile(out); string(b) != "+switch-master mymaster 1.1.1.1 1 2.2.2.2 2\n" {
		t.Fatalf("arguments: %q", b)
	}

	fail := filepath.Join(t.TempDir(), "fail")
	s.Schedule(procruntest.Script(t, `echo x >> `+fail+`; exit 1`))
	waitCond(t, "exit 1 retried twice then dropped", func() bool { return countLines(t, fail) == 3 && s.Queued() == 0 })

	fatal := filepath.Join(t.TempDir(), "fatal")
	s.Schedule(procruntest.Script(t, `echo x >> `+fatal+`; exit 2`))
	waitCond(t, "exit 2 dropped", func() bool { return countLines(t, fatal) == 1 && s.Queued() == 0 })
	time.Sleep(100 * time.Millisecond)
	if n := countLines(t, fatal); n != 1 {
		t.Fatalf("exit 2 script ran %d times", n)
	}
}

func TestScriptTimeoutKillsGroup(t *testing.T) {
	l := fastLimits()
	l.MaxRuntime = 200 * time.Millisecond
	l.MaxRetry = 0
	pidFile := filepath.Join(t.TempDir(), "child")
	s, _ := runScripts(t, l)
	s.Schedule(procruntest.Script(t, `sleep 30 & echo $! > `+pidFile+`; wait`))
	waitCond(t, "script running", func() bool { p := s.Pending(); return len(p) == 1 && p[0].Running && p[0].PID > 0 })
	var child int
	waitCond(t, "child pid", func() bool {
		b, _ := os.ReadFile(pidFile)
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return child > 0
	})
	waitCond(t, "script killed and dropped", func() bool { return s.Queued() == 0 })
	waitCond(t, "child killed too", func() bool { return syscall.Kill(child, 0) != nil })
}

func TestScriptQueueLimitAndStop(t *testing.T) {
	l := fastLimits()
	l.MaxQueue, l.MaxRunning = 3, 1
	s, stop := runScripts(t, l)
	sleeper := procruntest.Script(t, `sleep 30`)
	s.Schedule(sleeper, "0")
	waitCond(t, "one running", func() bool { return s.Running() == 1 })
	for i := 1; i < 5; i++ {
		s.Schedule(sleeper, strconv.Itoa(i))
	}
	p := s.Pending()
	if len(p) != 3 {
		t.Fatalf("queue %d entries, want 3: %+v", len(p), p)
	}
	if !p[0].Running || p[0].Argv[1] != "0" || p[1].Argv[1] != "3" || p[2].Argv[1] != "4" {
		t.Fatalf("queue kept the wrong entries: %+v", p)
	}
	pid := p[0].PID
	start := time.Now()
	stop()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Run took %v to stop", d)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatal("running script survived Run's end")
	}
}
