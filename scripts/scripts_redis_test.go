package scripts

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/procrun/procruntest"
)

// redisScripts runs a queue with redis's default limits on a fake clock,
// its events sent to a channel.
func redisScripts(t *testing.T, l Limits) (*Queue, *procruntest.Clock, chan string) {
	t.Helper()
	clock := procruntest.NewClock()
	events := make(chan string, 16)
	s := New(func() Limits { return l }, nil, WithScriptClock(clock),
		WithScriptEvents(func(e event.Event) {
			if e.Level != event.LevelWarning || e.Master != "" || e.Instance.Role != "" {
				t.Errorf("script event %+v: want a global warning", e)
			}
			events <- e.String()
		}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return s, clock, events
}

func nextEvent(t *testing.T, events chan string, want string) {
	t.Helper()
	select {
	case got := <-events:
		if got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	case <-time.After(3 * time.Second):
		t.Fatalf("no event, want %q", want)
	}
}

// TestScriptRetriesAsRedis: with redis's limits a script exiting 1 runs
// SENTINEL_SCRIPT_MAX_RETRY (10) times in all, 30 s, 1 min ... 128 min
// apart (sentinelScriptRetryDelay, no cap), retry-num counting runs,
// then -script-error "<path> 0 1".
func TestScriptRetriesAsRedis(t *testing.T) {
	s, clock, events := redisScripts(t, DefaultLimits())
	out := filepath.Join(t.TempDir(), "out")
	p := procruntest.Script(t, `echo x >> `+out+`; exit 1`)
	s.Schedule(p, "+sdown")
	delay := 30 * time.Second
	for run := 1; run < 10; run++ {
		waitCond(t, "run "+strconv.Itoa(run)+" waits for its retry", func() bool {
			ps := s.Pending()
			return countLines(t, out) == run && len(ps) == 1 && !ps[0].Running && ps[0].RunDelay == delay && ps[0].RetryCount == run
		})
		clock.Advance(delay)
		delay *= 2
	}
	nextEvent(t, events, "-script-error "+p+" 0 1")
	waitCond(t, "dropped after 10 runs", func() bool { return s.Queued() == 0 })
	if n := countLines(t, out); n != 10 {
		t.Fatalf("ran %d times, want 10", n)
	}
}

// TestScriptCannotExecute: redis's child exits 2 when execve fails, so a
// script that cannot be executed is an error, not retried.
func TestScriptCannotExecute(t *testing.T) {
	s, clock, events := redisScripts(t, DefaultLimits())
	p := filepath.Join(t.TempDir(), "notexec.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Schedule(p, "+sdown")
	nextEvent(t, events, "-script-error "+p+" 0 2")
	clock.Advance(time.Hour)
	time.Sleep(300 * time.Millisecond) // three ticks: nothing must run again
	if s.Queued() != 0 {
		t.Fatalf("not dropped: %+v", s.Pending())
	}
	select {
	case e := <-events:
		t.Fatalf("retried: %q", e)
	default:
	}
}

// TestScriptTimeoutEvent: -script-timeout "<path> <pid>" comes before the
// kill; the killed script (a signal) is retried; retry-num is 1 while the
// first run runs.
func TestScriptTimeoutEvent(t *testing.T) {
	s, clock, events := redisScripts(t, DefaultLimits())
	p := procruntest.Script(t, `sleep 30`)
	s.Schedule(p)
	var pid int
	waitCond(t, "running", func() bool {
		ps := s.Pending()
		if len(ps) == 1 && ps[0].Running && ps[0].RetryCount == 1 {
			pid = ps[0].PID
		}
		return pid > 0
	})
	clock.Advance(61 * time.Second)
	nextEvent(t, events, "-script-timeout "+p+" "+strconv.Itoa(pid))
	waitCond(t, "killed, waiting 30 s to run again", func() bool {
		ps := s.Pending()
		return len(ps) == 1 && !ps[0].Running && ps[0].RunDelay == 30*time.Second
	})
}
