package e2e

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHAProxySocketLetsRedisPush: the stats socket `sentinel
// haproxy-config` writes, in a setgid directory of group haproxy as
// Debian's /run/haproxy, admits the redis user once it is in group
// haproxy, and only then (issue 18 item 7: "mode 600" shut the unit's
// User=redis out). Needs root, the redis user and the haproxy group.
func TestHAProxySocketLetsRedisPush(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run HAProxy and connect as the redis user")
	}
	redis, err := user.Lookup("redis")
	if err != nil {
		t.Skip("no redis user")
	}
	group, err := user.LookupGroup("haproxy")
	if err != nil {
		t.Skip("no haproxy group")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip("no setpriv")
	}
	cli := cluster.LookBinary(t, "redis-cli")
	gid, _ := strconv.Atoi(group.Gid)

	c := cluster.New(t)
	dir := c.NewDir("conf")
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte("port 26379\nsentinel monitor mymaster 127.0.0.1 6379 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// /run/haproxy as Debian makes it: root-created, group haproxy, setgid.
	sockDir, err := os.MkdirTemp("", "run-haproxy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	if err := os.Chown(sockDir, 0, gid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sockDir, 0o775|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(sockDir, "admin.sock")
	front := cluster.MustFreePort(t)
	cfg, err := exec.Command(cluster.OurBinary(t), "haproxy-config", conf, "--agent-addr", "127.0.0.1:9",
		"--frontend-port-base", strconv.Itoa(front), "--stats-socket", sock).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy-config: %v\n%s", err, cfg)
	}
	cluster.StartHAProxy(t, c, "haproxy", string(cfg), front)

	// redis-cli stands in for the pusher: it connects as the redis user
	// (HAProxy then answers its RESP with an error, which is fine); only a
	// refused connect says "Permission denied".
	connect := func(groups string) string {
		out, _ := exec.Command(setpriv, "--reuid="+redis.Uid, "--regid="+redis.Gid, "--groups="+groups,
			cli, "-s", sock, "PING").CombinedOutput()
		return string(out)
	}
	if out := connect(redis.Gid + "," + group.Gid); strings.Contains(out, "Permission denied") {
		t.Errorf("redis in group haproxy cannot connect to the stats socket: %s", out)
	}
	if out := connect(redis.Gid); !strings.Contains(out, "Permission denied") {
		t.Errorf("redis outside group haproxy connected (the socket is open to all?): %s", out)
	}
}
