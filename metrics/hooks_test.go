package metrics

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/hooks"
)

// A real hooks runner feeds the series: they exist at 0 before any event,
// then count a failed first attempt, its successful retry and the done
// run, and the queue empties.
func TestHookSeries(t *testing.T) {
	src := &fakeSource{bus: event.NewBus(nil)}
	s, err := New("127.0.0.1:0", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	dir := t.TempDir()
	script := filepath.Join(dir, "h.sh")
	flag := filepath.Join(dir, "flag")
	os.WriteFile(script, []byte("#!/bin/sh\n[ -e "+flag+" ] || { touch "+flag+"; exit 1; }\n"), 0o755)
	r, err := hooks.New(hooks.Config{Rules: []hooks.Rule{{Event: "*", Argv: []string{script, "x"}}},
		Journal: filepath.Join(dir, "j"), Backoff: 10 * time.Millisecond, Observer: s.Hooks()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hook := map[string]string{"hook": script + " x"}
	check := func(name string, labels map[string]string, want float64) {
		t.Helper()
		if v, _, ok := value(t, s, name, labels); !ok || v != want {
			t.Errorf("%s%v = %v (found %v), want %v", name, labels, v, ok, want)
		}
	}
	for _, res := range []string{"done", "given_up"} {
		check("redis_sentinel_hook_runs_total", map[string]string{"hook": script + " x", "result": res}, 0)
	}
	check("redis_sentinel_hook_failures_total", hook, 0)
	check("redis_sentinel_hook_retries_total", hook, 0)
	check("redis_sentinel_hook_duration_seconds", hook, 0)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	r.Handle(&event.Event{Kind: "+x", Master: "m"})
	eventually(t, "run done", func() bool {
		v, _, _ := value(t, s, "redis_sentinel_hook_runs_total", map[string]string{"hook": script + " x", "result": "done"})
		return v == 1
	})
	check("redis_sentinel_hook_failures_total", hook, 1)
	check("redis_sentinel_hook_retries_total", hook, 1)
	check("redis_sentinel_hook_duration_seconds", hook, 2)
	eventually(t, "queue empty", func() bool {
		v, _, ok := value(t, s, "redis_sentinel_hook_queue_length", map[string]string{})
		w, _, _ := value(t, s, "redis_sentinel_hooks_running", map[string]string{})
		return ok && v == 0 && w == 0
	})
}
