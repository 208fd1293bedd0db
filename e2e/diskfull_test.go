package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestRewriteOnFullOrReadOnlyDir: the sentinel's dir is a tiny tmpfs. When
// it is full, and then when it is read-only, a config rewrite fails with
// redis-sentinel's error and leaves the old file whole; once there is room
// again the next rewrite succeeds. Needs root (mount); skipped otherwise.
func TestRewriteOnFullOrReadOnlyDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a small tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", mnt).Run() })

	c := cluster.New(t)
	m := c.StartRedis("master")
	dir := filepath.Join(mnt, "sentinel")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "sentinel.conf")
	sc := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "mymaster", Redis: m, Quorum: 1}}}
	if err := os.WriteFile(conf, []byte(sc.Render(0, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	s := c.StartSentinelOnConf(cluster.Ours, "sentinel", conf)
	if v, err := s.Do("SENTINEL", "FLUSHCONFIG"); err != nil || v.Text() != "OK" {
		t.Fatalf("FLUSHCONFIG with room: %v %v", v, err)
	}
	before, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}

	// Fill the file system to the last block.
	filler, err := os.Create(filepath.Join(mnt, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()
	checkRefused := func(what string) {
		t.Helper()
		warned := strings.Count(s.Logs(), "not able to save the new configuration")
		// Command turns an error reply into err.
		v, err := s.Do("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "4321")
		if err == nil || !strings.Contains(err.Error(), "ERR Failed to save config file. Check server logs.") {
			t.Errorf("%s: SENTINEL SET replied %v (%v), want the save error", what, v, err)
		}
		after, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		if string(after) != string(before) {
			t.Errorf("%s: config file changed:\n%s", what, after)
		}
		cluster.WaitFor(t, 3*time.Second, what+": a warning in the log", func() error {
			if strings.Count(s.Logs(), "not able to save the new configuration") <= warned {
				return os.ErrNotExist
			}
			return nil
		})
		if v, err := s.Do("PING"); err != nil || v.Text() != "PONG" {
			t.Errorf("%s: sentinel stopped answering: %v %v", what, v, err)
		}
	}
	checkRefused("full dir")

	os.Remove(filepath.Join(mnt, "filler"))
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	checkRefused("read-only dir")

	if out, err := exec.Command("mount", "-o", "remount,rw", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount read-write: %v %s", err, out)
	}
	if v, err := s.Do("SENTINEL", "SET", "mymaster", "down-after-milliseconds", "4321"); err != nil || v.Text() != "OK" {
		t.Fatalf("SENTINEL SET with room again: %v %v", v, err)
	}
	cluster.WaitFor(t, 5*time.Second, "the new value on disk", func() error {
		cf, err := cluster.ReadConf(conf)
		if err != nil {
			return err
		}
		if v, _ := cf.Get("sentinel", "down-after-milliseconds", "mymaster"); v != "4321" {
			return os.ErrNotExist
		}
		return nil
	})
}
