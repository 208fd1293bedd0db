package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestStateConfigFile is issue 18's runtime state out of the static
// config, with real Redis: with "sentinel state-config-file", a failover,
// SENTINEL SET and a restart never touch the config file (byte for byte,
// mode included) while the state file follows them; the restarted
// sentinel names the new master; users cannot change at run time without
// an aclfile (they would be lost); and "sentinel export-config" gives one
// file that a real redis-sentinel starts from with the same master.
func TestStateConfigFile(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	dir := c.NewDir("ours")
	conf := filepath.Join(dir, "sentinel.conf")
	state := filepath.Join(dir, "state", "sentinel-state.conf")
	if err := os.MkdirAll(filepath.Dir(state), 0o755); err != nil {
		t.Fatal(err)
	}
	var text string
	// Read-only (0440): the config file need not be writable.
	s := c.StartSentinelWriting(cluster.Ours, "ours", conf, func(port int) error {
		text = fmt.Sprintf("port %d\ndir %s\nsentinel state-config-file %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n"+
			"sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 6000\n", port, dir, state, master.Port)
		os.Remove(conf)
		return os.WriteFile(conf, []byte(text), 0o440)
	})
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	if v, err := s.Do("SENTINEL", "SET", "mymaster", "parallel-syncs", "3"); err != nil || v.Text() != "OK" {
		t.Fatalf("SENTINEL SET: %v %v", v, err)
	}
	if v, err := s.Do("ACL", "SETUSER", "bob", "on"); err == nil && !strings.Contains(v.Text(), "state-config-file") {
		t.Errorf("ACL SETUSER with a state file and no aclfile: %v", v)
	}
	master.Kill()
	cluster.WaitFor(t, 20*time.Second, "failover", func() error {
		got, err := masterAddr(s, "mymaster")
		if err != nil || got != replica.Addr() {
			return fmt.Errorf("master %s %v", got, err)
		}
		return nil
	})
	cluster.WaitFor(t, 5*time.Second, "the state file to follow", func() error {
		b, err := os.ReadFile(state)
		if err != nil {
			return err
		}
		if want := fmt.Sprintf("sentinel monitor mymaster 127.0.0.1 %d 1", replica.Port); !strings.Contains(string(b), want) ||
			!strings.Contains(string(b), "sentinel parallel-syncs mymaster 3") {
			return fmt.Errorf("state file:\n%s", b)
		}
		return nil
	})
	checkConf := func() {
		t.Helper()
		b, err := os.ReadFile(conf)
		st, _ := os.Stat(conf)
		if err != nil || string(b) != text || st.Mode().Perm() != 0o440 {
			t.Fatalf("config file changed (%v, mode %v):\n%s", err, st.Mode(), b)
		}
	}
	checkConf()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if got, err := masterAddr(s, "mymaster"); err != nil || got != replica.Addr() {
		t.Fatalf("after restart the master is %s (%v)", got, err)
	}
	if m, err := s.Master("mymaster"); err != nil || m["parallel-syncs"] != "3" {
		t.Fatalf("after restart parallel-syncs %q (%v)", m["parallel-syncs"], err)
	}
	checkConf()

	// The way back: one file, for redis-sentinel.
	out, err := exec.Command(cluster.OurBinary(t), "export-config", conf).Output()
	if err != nil {
		t.Fatalf("export-config: %v", err)
	}
	if strings.Contains(string(out), "state-config-file") {
		t.Fatalf("export still names the state file:\n%s", out)
	}
	rdir := c.NewDir("real")
	rconf := filepath.Join(rdir, "sentinel.conf")
	if err := os.WriteFile(rconf, out, 0o644); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	real := c.StartSentinelOnConf(cluster.Real, "real", rconf)
	if got, err := masterAddr(real, "mymaster"); err != nil || got != replica.Addr() {
		t.Fatalf("redis-sentinel on the export names %s (%v)", got, err)
	}
	if id, err := real.MyID(); err != nil || !strings.Contains(string(out), "sentinel myid "+id) {
		t.Fatalf("redis-sentinel's id %s (%v) is not the exported one", id, err)
	}
}
