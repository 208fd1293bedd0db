package hooks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func start(t *testing.T, cfg Config) (*Runner, func()) {
	t.Helper()
	r, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	stop := func() { cancel(); wg.Wait() }
	t.Cleanup(stop)
	return r, stop
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

func read(p string) string { b, _ := os.ReadFile(p); return string(b) }

func TestHookArgsEnvAndOnce(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	s := writeScript(t, dir, "h.sh", `echo "$@|$SENTINEL_MASTER|$SENTINEL_NEW_PORT" >> `+out)
	r, _ := start(t, Config{Rules: []Rule{{Event: "+switch-*", Argv: []string{s, "fixed"}}}, Journal: filepath.Join(dir, "j")})
	if err := r.Handle("+switch-master", "mymaster 1.1.1.1 10 2.2.2.2 20", "mymaster"); err != nil {
		t.Fatal(err)
	}
	r.Handle("+sdown", "master mymaster 1.1.1.1 10", "mymaster") // no rule matches
	eventually(t, "hook ran", func() bool { return len(r.Pending()) == 0 && read(out) != "" })
	time.Sleep(200 * time.Millisecond)
	if got := read(out); got != "fixed +switch-master mymaster 1.1.1.1 10 2.2.2.2 20|mymaster|20\n" {
		t.Fatalf("hook output %q", got)
	}
}

func TestHookRetriedAndOrderedPerMaster(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	flag := filepath.Join(dir, "flag")
	// Fails until the flag exists; the second event of the same master
	// must wait for the first.
	s := writeScript(t, dir, "h.sh", `[ -e `+flag+` ] || { touch `+flag+`; exit 1; }; echo "$2" >> `+out)
	r, _ := start(t, Config{Rules: []Rule{{Event: "*", Argv: []string{s}}}, Journal: filepath.Join(dir, "j"), Backoff: 20 * time.Millisecond})
	r.Handle("+a", "one", "m")
	r.Handle("+b", "two", "m")
	eventually(t, "both ran", func() bool { return len(r.Pending()) == 0 })
	if got := read(out); got != "one\ntwo\n" {
		t.Fatalf("order or retry wrong: %q", got)
	}
}

func TestHookJournalSurvivesRestartAndTimeout(t *testing.T) {
	dir := t.TempDir()
	journal := filepath.Join(dir, "j")
	out := filepath.Join(dir, "out")
	hang := writeScript(t, dir, "h.sh", `echo start >> `+out+`; [ -e `+filepath.Join(dir, "ok")+` ] && exit 0; sleep 30`)
	cfg := Config{Rules: []Rule{{Event: "*", Argv: []string{hang}}}, Journal: journal, Timeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond}
	r, stop := start(t, cfg)
	r.Handle("+x", "", "m")
	eventually(t, "started", func() bool { return strings.Count(read(out), "start") >= 1 })
	stop() // the process dies with the hook unfinished
	if !strings.Contains(read(journal), `"event": "+x"`) {
		t.Fatalf("journal lost the unfinished run: %q", read(journal))
	}
	os.WriteFile(filepath.Join(dir, "ok"), nil, 0o644)
	r2, _ := start(t, cfg)
	eventually(t, "ran again after restart", func() bool { return len(r2.Pending()) == 0 })
	if n := strings.Count(read(out), "start"); n < 2 {
		t.Fatalf("ran %d times", n)
	}
	if strings.Contains(read(journal), `"event"`) {
		t.Fatalf("journal not cleared: %q", read(journal))
	}
}

func TestHookTimeoutKillsGroup(t *testing.T) {
	dir := t.TempDir()
	pidf := filepath.Join(dir, "pid")
	s := writeScript(t, dir, "h.sh", `sleep 30 & echo $! > `+pidf+`; wait`)
	r, _ := start(t, Config{Rules: []Rule{{Event: "*", Argv: []string{s}}}, Journal: filepath.Join(dir, "j"),
		Timeout: 200 * time.Millisecond, MaxAttempts: 1})
	r.Handle("+x", "", "m")
	eventually(t, "given up after the timeout", func() bool { return len(r.Pending()) == 0 && read(pidf) != "" })
	pid := strings.TrimSpace(read(pidf))
	eventually(t, "child killed", func() bool {
		_, err := os.Stat("/proc/" + pid)
		return err != nil
	})
}
