package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHooksAtLeastOnce: a hook interrupted by a kill -9 of our instance
// runs again after the restart; once it succeeded it never runs again.
func TestHooksAtLeastOnce(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	dir := c.NewDir("hooks")
	out, flag := filepath.Join(dir, "out"), filepath.Join(dir, "done")
	script := filepath.Join(dir, "hook.sh")
	body := "#!/bin/sh\necho \"$SENTINEL_HOOK_ID $SENTINEL_EVENT $SENTINEL_MASTER pid=$$\" >> " + out +
		"\n[ -e " + flag + " ] && exit 0\nsleep 30\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	hooksFile := filepath.Join(dir, "hooks.yaml")
	yaml := fmt.Sprintf("hooks:\n  - event: \"+reset-master\"\n    command: [%q]\nhooks_journal: %s\n", script, filepath.Join(dir, "journal.json"))
	if err := os.WriteFile(hooksFile, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: 5 * time.Second}},
		Args:     []string{"--hooks", hooksFile},
	})
	lines := func() []string {
		b, _ := os.ReadFile(out)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	if v, err := s.Do("SENTINEL", "RESET", "mymaster"); err != nil || v.Int != 1 {
		t.Fatalf("SENTINEL RESET: %v %v", v, err)
	}
	cluster.WaitFor(t, 5*time.Second, "hook started", func() error {
		if b, _ := os.ReadFile(out); len(b) == 0 {
			return fmt.Errorf("no run yet")
		}
		return nil
	})
	first := lines()[0]
	if !strings.Contains(first, " +reset-master mymaster pid=") {
		t.Fatalf("hook environment: %q", first)
	}
	// Kill our instance in the middle of the run, and the orphaned hook.
	s.Kill()
	if pid, err := strconv.Atoi(first[strings.LastIndex(first, "=")+1:]); err == nil {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	if err := os.WriteFile(flag, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	cluster.WaitFor(t, 10*time.Second, "the interrupted hook to run again", func() error {
		if l := lines(); len(l) < 2 {
			return fmt.Errorf("runs: %q", l)
		}
		return nil
	})
	l := lines()
	if strings.Fields(l[0])[0] != strings.Fields(l[1])[0] {
		t.Errorf("the rerun is not the same journaled run: %q", l)
	}
	cluster.WaitFor(t, 5*time.Second, "journal cleared", func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "journal.json"))
		if strings.Contains(string(b), "reset-master") {
			return fmt.Errorf("journal: %s", b)
		}
		return nil
	})
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if l := lines(); len(l) != 2 {
		t.Errorf("a hook that succeeded ran again: %q", l)
	}
}
