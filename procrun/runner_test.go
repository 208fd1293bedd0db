package procrun

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/procrun/procruntest"
)

func task(key string, argv ...string) Task {
	return Task{Key: key, Data: argv[len(argv)-1], Command: func(int) *exec.Cmd { return exec.Command(argv[0], argv[1:]...) }}
}

// harness runs a Runner whose callbacks write one line each to a channel.
type harness struct {
	r     *Runner
	clock *procruntest.Clock
	log   chan string
}

func start(t *testing.T, cfg Config, retry func(*Task, Exit) (time.Duration, bool)) *harness {
	t.Helper()
	h := &harness{clock: procruntest.NewClock(), log: make(chan string, 100)}
	cfg.Clock = h.clock
	say := func(f string, a ...any) { h.log <- fmt.Sprintf(f, a...) }
	r, err := New(cfg, Policy{
		Retry:   retry,
		Started: func(t *Task, _ int) { say("start %v %d", t.Data, t.Attempts) },
		Done:    func(t *Task, e Exit) { say("done %v %d", t.Data, e.Attempt) },
		Failed: func(t *Task, e Exit, d time.Duration) {
			say("failed %v code %d sig %d retry in %v", t.Data, e.Code, e.Signal, d)
		},
		GaveUp: func(t *Task, e Exit) {
			say("gaveup %v code %d sig %d start-err %t timedout %t", t.Data, e.Code, e.Signal, e.StartErr != nil, e.TimedOut)
		},
		TimedOut: func(t *Task, _ int, _ time.Duration) { say("timedout %v", t.Data) },
		Dropped:  func(t *Task) { say("dropped %v", t.Data) },
	})
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return h
}

// expect reads the next callback lines, in order.
func (h *harness) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-h.log:
			if got != w {
				t.Fatalf("callback %q, want %q", got, w)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no callback, want %q", w)
		}
	}
}

func (h *harness) quiet(t *testing.T) {
	t.Helper()
	select {
	case got := <-h.log:
		t.Fatalf("unexpected callback %q", got)
	case <-time.After(150 * time.Millisecond):
	}
}

func retryExit1(max int) func(*Task, Exit) (time.Duration, bool) {
	return func(t *Task, e Exit) (time.Duration, bool) {
		return time.Duration(t.Attempts) * time.Hour, e.Code == 1 && t.Attempts < max
	}
}

func TestEnds(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Tick = 10 * time.Millisecond
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"exit 0", "exit 0", []string{"start x 1", "done x 1"}},
		{"exit 2 not retried", "exit 2", []string{"start x 1", "gaveup x code 2 sig 0 start-err false timedout false"}},
		{"signal not retried", "kill -TERM $$", []string{"start x 1", "gaveup x code -1 sig 15 start-err false timedout false"}},
		{"exit 1 retried after the delay, then given up", "exit 1", []string{
			"start x 1", "failed x code 1 sig 0 retry in 1h0m0s", "advance 1h",
			"start x 2", "gaveup x code 1 sig 0 start-err false timedout false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, cfg, retryExit1(2))
			h.r.Add(task("", procruntest.Script(t, tc.body), "x"))
			for _, w := range tc.want {
				if d, ok := strings.CutPrefix(w, "advance "); ok {
					h.quiet(t) // the retry waits for the clock
					dd, _ := time.ParseDuration(d)
					h.clock.Advance(dd)
					h.r.Kick()
					continue
				}
				h.expect(t, w)
			}
			h.quiet(t)
			if q, _ := h.r.Counts(); q != 0 {
				t.Fatalf("%d tasks left", q)
			}
		})
	}
}

func TestCannotStart(t *testing.T) {
	cfg := DefaultConfig()
	h := start(t, cfg, retryExit1(5))
	h.r.Add(task("", filepath.Join(t.TempDir(), "missing"), "x"))
	h.expect(t, "gaveup x code -1 sig 0 start-err true timedout false")
}

func TestTimeoutKillsGroup(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Timeout, cfg.Tick = time.Minute, 10*time.Millisecond
	h := start(t, cfg, nil)
	pidFile := filepath.Join(t.TempDir(), "child")
	h.r.Add(task("", procruntest.Script(t, `sleep 30 & echo $! > `+pidFile+`; wait`), "x"))
	h.expect(t, "start x 1")
	h.quiet(t) // within its minute
	h.clock.Advance(time.Minute + time.Second)
	h.r.Kick()
	h.expect(t, "timedout x", "gaveup x code -1 sig 9 start-err false timedout true")
	b, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for end := time.Now().Add(3 * time.Second); child > 0 && syscall.Kill(child, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("child %d survived its group's kill", child)
		}
	}
}

func TestOrderAndLimits(t *testing.T) {
	for _, tc := range []struct {
		name          string
		cfg           func(*Config)
		keys          []string
		before, after []string // callbacks before and after the gate opens
	}{
		{"per key: the next waits for the previous", func(c *Config) { c.PerKey, c.MaxRunning = true, 4 },
			[]string{"m", "m"}, []string{"start 0 1"}, []string{"done 0 1", "start 1 1", "done 1 1"}},
		{"other keys run beside", func(c *Config) { c.PerKey, c.MaxRunning = true, 4 },
			[]string{"m", "n"}, []string{"start 0 1", "start 1 1"}, nil},
		{"max running 1 across keys", func(c *Config) { c.MaxRunning = 1 },
			[]string{"a", "b"}, []string{"start 0 1"}, []string{"done 0 1", "start 1 1", "done 1 1"}},
		{"queue bound drops the oldest waiting", func(c *Config) { c.MaxRunning, c.MaxQueue = 1, 2 },
			[]string{"a", "b", "c"}, []string{"start 0 1", "dropped 1"}, []string{"done 0 1", "start 2 1", "done 2 1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.cfg(&cfg)
			h := start(t, cfg, nil)
			gate := filepath.Join(t.TempDir(), "gate")
			// Each waits for the gate file, so the queue is full before
			// the first one ends.
			s := procruntest.Script(t, `while [ ! -e `+gate+` ]; do sleep 0.01; done`)
			for i, k := range tc.keys {
				h.r.Add(task(k, s, strconv.Itoa(i)))
				if i == 0 {
					h.expect(t, tc.before[0])
				}
			}
			h.expect(t, tc.before[1:]...)
			h.quiet(t)
			if err := os.WriteFile(gate, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			h.expect(t, tc.after...)
		})
	}
}

func TestStopKillsRunning(t *testing.T) {
	cfg := DefaultConfig()
	r, err := New(cfg, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	r.Add(task("", "sleep", "30"))
	var pid int
	for end := time.Now().Add(3 * time.Second); pid == 0 && time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if st := r.Snapshot(); len(st) == 1 && st[0].Running {
			pid = st[0].PID
		}
	}
	if pid == 0 {
		t.Fatal("never started")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not stop")
	}
	if syscall.Kill(pid, 0) == nil {
		t.Fatal("process survived Run's end")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"default", func(*Config) {}, ""},
		{"no runner", func(c *Config) { c.MaxRunning = 0 }, "MaxRunning 0 must be at least 1"},
		{"negative queue", func(c *Config) { c.MaxQueue = -1 }, "MaxQueue -1 is negative"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "Timeout 0s must be positive"},
		{"no tick", func(c *Config) { c.Tick = 0 }, "Tick 0s must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
			if _, nerr := New(c, Policy{}); (nerr == nil) != (err == nil) {
				t.Fatalf("New and Validate disagree: %v / %v", nerr, err)
			}
		})
	}
}
