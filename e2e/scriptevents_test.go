package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestScriptEventsLikeRedis: a notification script that fails for good
// or runs past script-max-runtime is published as redis-sentinel
// publishes it: "-script-error <path> <signal> <exit code>" and
// "-script-timeout <path> <pid>", by ours and the real one alike.
func TestScriptEventsLikeRedis(t *testing.T) {
	for _, tc := range []struct {
		name, body, channel string
		debug               []string
		want                string // payload, with PATH for the script and \d+ for a pid
	}{
		{"exit 2", "exit 2", "-script-error", nil, `PATH 0 2`},
		{"timeout", "sleep 20", "-script-timeout", []string{"script-max-runtime", "500"}, `PATH \d+`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cluster.New(t)
			master := c.StartRedis("master")
			dir := c.NewDir("scripts")
			script := filepath.Join(dir, "notify.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\n"+tc.body+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			want := regexp.MustCompile("^" + strings.ReplaceAll(tc.want, "PATH", regexp.QuoteMeta(script)) + "$")
			mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 3, DownAfter: time.Second}}
			var subs []*cluster.Subscription
			var names []string
			for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
				s := c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Monitors: mon,
					Extra: []string{"sentinel notification-script mymaster " + script}})
				if tc.debug != nil {
					if v, err := s.Do(append([]string{"SENTINEL", "DEBUG"}, tc.debug...)...); err != nil || v.IsError() {
						t.Fatalf("%s SENTINEL DEBUG: %v %v", impl, v, err)
					}
				}
				subs = append(subs, cluster.Subscribe(t, s.Addr(), tc.channel))
				names = append(names, impl.String())
			}
			master.Kill() // +sdown: a warning event, so the script runs
			for i, sub := range subs {
				m, err := sub.Wait(15*time.Second, func(cluster.Message) bool { return true })
				if err != nil {
					t.Fatalf("%s: no %s: %v", names[i], tc.channel, err)
				}
				if !want.MatchString(m.Payload) {
					t.Errorf("%s: %s %q, want %s", names[i], tc.channel, m.Payload, want)
				}
			}
		})
	}
}

// TestPendingScriptsLikeRedis: SENTINEL PENDING-SCRIPTS counts runs in
// retry-num as redis's retry_num does (1 while the first run runs, 1
// while it waits for its retry after exiting 1) and shows the retry delay.
func TestPendingScriptsLikeRedis(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	dir := c.NewDir("scripts")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 3\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 3, DownAfter: time.Second}}
	ss := map[string]*cluster.Sentinel{}
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		ss[impl.String()] = c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Monitors: mon,
			Extra: []string{"sentinel notification-script mymaster " + script}})
	}
	master.Kill()
	// seen polls both until each showed its first pending entry with
	// these flags, and returns those entries.
	seen := func(flags string) map[string]map[string]string {
		t.Helper()
		got := map[string]map[string]string{}
		for end := time.Now().Add(20 * time.Second); len(got) < len(ss) && time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			for name, s := range ss {
				if got[name] != nil {
					continue
				}
				v, err := s.Do("SENTINEL", "PENDING-SCRIPTS")
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if l := v.KVList(); len(l) > 0 && l[0]["flags"] == flags {
					got[name] = l[0]
				}
			}
		}
		if len(got) < len(ss) {
			t.Fatalf("no %s script in PENDING-SCRIPTS of each: %v", flags, got)
		}
		return got
	}
	for name, e := range seen("running") {
		if e["retry-num"] != "1" {
			t.Errorf("%s: running first time: retry-num %q, want 1 (%v)", name, e["retry-num"], e)
		}
	}
	for name, e := range seen("scheduled") {
		if e["retry-num"] != "1" {
			t.Errorf("%s: waiting after exit 1: retry-num %q, want 1 (%v)", name, e["retry-num"], e)
		}
		// redis's 30 s retry delay, counted down since the exit.
		if d, _ := strconv.Atoi(e["run-delay"]); d < 25000 || d > 30000 {
			t.Errorf("%s: run-delay %q, want just under 30000", name, e["run-delay"])
		}
	}
}
