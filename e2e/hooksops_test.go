package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHookFailureVisible: a hook that keeps failing does not hold back
// another hook of the same master; SENTINEL PENDING-SCRIPTS lists its
// waiting runs (flagged as hooks, redis's fields), the log names its
// command, and /metrics counts the failure (issue 18 item 4).
func TestHookFailureVisible(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	dir := c.NewDir("hooks")
	out := filepath.Join(dir, "out")
	failing, ok := filepath.Join(dir, "failing.sh"), filepath.Join(dir, "ok.sh")
	for p, body := range map[string]string{failing: "exit 1", ok: "echo \"$1\" >> " + out} {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	hooksFile := filepath.Join(dir, "hooks.yaml")
	yaml := fmt.Sprintf("hooks:\n  - event: \"+reset-master\"\n    command: [%q]\n  - event: \"+reset-master\"\n    command: [%q]\n"+
		"hooks_journal: %s\nhooks_backoff_ms: 3600000\nhooks_backoff_max_ms: 3600000\n", failing, ok, filepath.Join(dir, "journal.json"))
	if err := os.WriteFile(hooksFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	mport := cluster.MustFreePort(t)
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: 5 * time.Second}},
		Args:     []string{"--hooks", hooksFile, "--metrics", "127.0.0.1:" + strconv.Itoa(mport)},
	})
	for range 2 {
		if v, err := s.Do("SENTINEL", "RESET", "mymaster"); err != nil || v.Int != 1 {
			t.Fatalf("SENTINEL RESET: %v %v", v, err)
		}
	}
	cluster.WaitFor(t, 10*time.Second, "the healthy hook ran for both events", func() error {
		if b, _ := os.ReadFile(out); string(b) != "+reset-master\n+reset-master\n" {
			return fmt.Errorf("out %q", b)
		}
		return nil
	})
	cluster.WaitFor(t, 5*time.Second, "the failing hook's runs listed", func() error {
		v, err := s.Do("SENTINEL", "PENDING-SCRIPTS")
		if err != nil {
			return err
		}
		var got []string
		for _, e := range v.Elems {
			pairs, _ := e.Pairs()
			kv := map[string]cluster.Value{}
			for _, p := range pairs {
				kv[p[0].Text()] = p[1]
			}
			got = append(got, strings.Join(kv["argv"].Strings(), " ")+" "+kv["flags"].Text()+" retry-num="+kv["retry-num"].Text())
		}
		argv := failing + " +reset-master master mymaster 127.0.0.1 " + strconv.Itoa(master.Port)
		want := []string{argv + " scheduled,hook retry-num=1", argv + " scheduled,hook retry-num=0"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			return fmt.Errorf("pending %q, want %q", got, want)
		}
		return nil
	})
	if l := s.Logs(); !strings.Contains(l, `command="`+failing+` +reset-master master mymaster`) {
		t.Errorf("no failure line naming the command:\n%s", l)
	}
	body := scrape(t, "http://127.0.0.1:"+strconv.Itoa(mport)+"/metrics")
	for _, ck := range []struct {
		name, labels string
		want         float64
	}{
		{"redis_sentinel_hook_failures_total", `hook="` + failing + `"`, 1},
		{"redis_sentinel_hook_runs_total", `hook="` + ok + `",result="done"`, 2},
		{"redis_sentinel_hook_queue_length", "", 2},
	} {
		if v, found := metricValue(body, ck.name, ck.labels); !found || v != ck.want {
			t.Errorf("%s{%s} = %v (found %v), want %v", ck.name, ck.labels, v, found, ck.want)
		}
	}
}
