package hooks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

var master = event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: event.Addr{Host: "1.1.1.1", Port: 10}}

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
	if err := r.Handle(&event.Event{Kind: event.SwitchMaster, Master: "mymaster",
		From: event.Addr{Host: "1.1.1.1", Port: 10}, To: event.Addr{Host: "2.2.2.2", Port: 20}}); err != nil {
		t.Fatal(err)
	}
	r.Handle(&event.Event{Kind: event.SDown, Master: "mymaster", Instance: master}) // no rule matches
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
	r.Handle(&event.Event{Kind: "+a", Master: "m", Text: "one"})
	r.Handle(&event.Event{Kind: "+b", Master: "m", Text: "two"})
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
	r.Handle(&event.Event{Kind: "+x", Master: "m"})
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
	r.Handle(&event.Event{Kind: "+x", Master: "m"})
	eventually(t, "given up after the timeout", func() bool { return len(r.Pending()) == 0 && read(pidf) != "" })
	pid := strings.TrimSpace(read(pidf))
	eventually(t, "child killed", func() bool {
		_, err := os.Stat("/proc/" + pid)
		return err != nil
	})
}

// oldEnv is env's event part before events were typed: the payload read
// back with strings.Fields. The typed env must give the same variables.
func oldEnv(typ, payload string) []string {
	var e []string
	f := strings.Fields(payload)
	switch {
	case typ == "+switch-master" && len(f) == 5:
		e = append(e, "SENTINEL_OLD_IP="+f[1], "SENTINEL_OLD_PORT="+f[2], "SENTINEL_NEW_IP="+f[3], "SENTINEL_NEW_PORT="+f[4])
	case len(f) >= 4 && (f[0] == "master" || f[0] == "slave" || f[0] == "sentinel"):
		e = append(e, "SENTINEL_INSTANCE_TYPE="+f[0], "SENTINEL_INSTANCE_NAME="+f[1],
			"SENTINEL_INSTANCE_IP="+f[2], "SENTINEL_INSTANCE_PORT="+f[3])
	}
	return e
}

// The variables and arguments hooks get are the ones they got when the
// payload was parsed, for every form of event, IPv6 and names included;
// a run from a journal written before events were typed (no "env") gets
// them too.
func TestHookEnvFromFieldsMatchesPayloadForm(t *testing.T) {
	replica := event.Instance{Role: event.RoleSlave, Name: "[fe80::2]:6380", Addr: event.Addr{Host: "fe80::2", Port: 6380},
		MasterName: "mymaster", MasterAddr: event.Addr{Host: "fe80::1", Port: 6379}}
	named := event.Instance{Role: event.RoleSentinel, Name: strings.Repeat("c", 40), Addr: event.Addr{Host: "peer.test", Port: 26379},
		MasterName: "mymaster", MasterAddr: event.Addr{Host: "db.test", Port: 6379}}
	for _, e := range []event.Event{
		{Kind: event.SwitchMaster, Master: "mymaster", From: event.Addr{Host: "fe80::1", Port: 6379}, To: event.Addr{Host: "::1", Port: 6380}},
		{Kind: event.SwitchMaster, Master: "mymaster", From: event.Addr{Host: "db.test", Port: 6379}, To: event.Addr{Host: "db2.test", Port: 6380}},
		{Kind: event.ODown, Master: "mymaster", Instance: master, Votes: 2, Quorum: 2},
		{Kind: event.ConvertToSlave, Master: "mymaster", Instance: replica},
		{Kind: "+sentinel", Master: "mymaster", Instance: named},
		{Kind: "+set", Master: "mymaster", Instance: master, Text: "down-after-milliseconds 1000"},
		{Kind: event.NewEpoch, Master: "mymaster", Epoch: 9},
		{Kind: event.VoteForLeader, Master: "mymaster", Leader: strings.Repeat("a", 40), Epoch: 9},
		{Kind: event.Tilt, Text: "#tilt mode entered"},
		{Kind: event.ScriptError, Text: "/x/notify.sh 0 1"},
	} {
		want := oldEnv(string(e.Kind), e.Payload())
		if got := eventEnv(&e); !slices.Equal(got, want) {
			t.Errorf("%s: env %q, want %q", e.Kind, got, want)
		}
		legacy := &Run{Event: string(e.Kind), Payload: e.Payload()}
		if got := legacyEnv(legacy); !slices.Equal(got, want) {
			t.Errorf("%s: legacy env %q, want %q", e.Kind, got, want)
		}
	}
}

// A journal left by a version that kept only the payload still runs with
// the event's variables.
func TestHookLegacyJournalRunGetsVariables(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	journal := filepath.Join(dir, "j")
	s := writeScript(t, dir, "h.sh", `echo "$#|$SENTINEL_OLD_IP|$SENTINEL_NEW_PORT" >> `+out)
	old := `[{"id": "1", "master": "mymaster", "event": "+switch-master", "payload": "mymaster fe80::1 6379 ::1 6380",` +
		` "argv": ["` + s + `", "+switch-master", "mymaster", "fe80::1", "6379", "::1", "6380"], "attempts": 0}]`
	if err := os.WriteFile(journal, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	r, _ := start(t, Config{Rules: []Rule{{Event: "*", Argv: []string{s}}}, Journal: journal})
	eventually(t, "legacy run ran", func() bool { return len(r.Pending()) == 0 && read(out) != "" })
	if got := read(out); got != "6|fe80::1|6380\n" {
		t.Fatalf("legacy run output %q", got)
	}
}
