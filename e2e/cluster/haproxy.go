package cluster

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// StartHAProxy runs haproxy in the foreground on cfg and waits for port.
func StartHAProxy(t TB, c *Cluster, name, cfg string, port int) *Process {
	t.Helper()
	dir := c.NewDir(name)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	p := NewProcess(name, LookBinary(t, "haproxy"), dir, "-db", "-f", path)
	c.Adopt(p)
	if err := p.Start(); err != nil {
		t.Fatalf("%v", err)
	}
	WaitFor(t, 10*time.Second, name+" listening", func() error {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
		if err != nil {
			return err
		}
		return conn.Close()
	})
	return p
}

// HAProxyRig is a master, its replica, three sentinels and HAProxy in
// front: the seed setup's routing, for e2e tests and the benchmark.
type HAProxyRig struct {
	C         *Cluster
	Master    *Redis
	Replica   *Redis
	Sentinels []*Sentinel
	Front     string // HAProxy's frontend, host:port
}

// NewHAProxyRig builds the topology. impl says who routes: our agent-check
// (Ours) or the tcp-check role:master recipe with redis-sentinel (Real).
func NewHAProxyRig(t TB, impl Impl) *HAProxyRig {
	c := New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	WaitReplicaSynced(t, replica)
	mon := []Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	front := MustFreePort(t)
	sock := HAProxySocket(t)
	var cfg string
	var ss []*Sentinel
	if impl == Ours {
		agentPort := MustFreePort(t)
		for k := range 3 {
			var args []string
			if k == 0 {
				args = []string{"--agent-check", "127.0.0.1:" + strconv.Itoa(agentPort), "--haproxy-socket", sock}
			}
			ss = append(ss, c.StartSentinel(Ours, fmt.Sprintf("ours%d", k), SentinelConfig{Monitors: mon, Args: args}))
		}
		for _, s := range ss {
			s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
			s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		}
		cfg = OurHAProxyConfig(t, ss[0], agentPort, front, sock)
	} else {
		for k := range 3 {
			ss = append(ss, c.StartSentinel(Real, fmt.Sprintf("real%d", k), SentinelConfig{Monitors: mon}))
		}
		for _, s := range ss {
			s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
			s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		}
		cfg = TCPCheckRecipe(front, sock, master.Addr(), replica.Addr())
	}
	StartHAProxy(t, c, "haproxy", cfg, front)
	return &HAProxyRig{C: c, Master: master, Replica: replica, Sentinels: ss, Front: "127.0.0.1:" + strconv.Itoa(front)}
}

// HAProxySocket makes a directory for HAProxy's admin socket, removed at
// cleanup: Unix socket paths are limited to ~100 bytes and test temp dirs
// are long.
func HAProxySocket(t TB) string {
	sockDir, err := os.MkdirTemp("", "hp")
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	return filepath.Join(sockDir, "admin.sock")
}

// OurHAProxyConfig is `sentinel haproxy-config` for s's config file (after
// SENTINEL FLUSHCONFIG, so the file has the replicas it knows), routed by
// the agent-check on agentPort, the frontend on front.
func OurHAProxyConfig(t TB, s *Sentinel, agentPort, front int, sock string) string {
	t.Helper()
	s.Do("SENTINEL", "FLUSHCONFIG")
	out, err := exec.Command(OurBinary(t), "haproxy-config", s.ConfPath,
		"--agent-addr", "127.0.0.1:"+strconv.Itoa(agentPort), "--frontend-port-base", strconv.Itoa(front),
		"--stats-socket", sock, "--maxconn", "256").CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy-config: %v\n%s", err, out)
	}
	return string(out)
}

// TCPCheckRecipe is the usual HAProxy setup in front of redis-sentinel,
// from HAProxy's blog: route to whichever server answers role:master to
// a tcp-check, every second. servers are host:port.
func TCPCheckRecipe(front int, sock string, servers ...string) string {
	cfg := fmt.Sprintf(`global
    maxconn 256
    stats socket %s mode 600 level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 1h
    timeout server 1h
    timeout check 1s
frontend mymaster
    bind 127.0.0.1:%d
    default_backend mymaster
backend mymaster
    option tcp-check
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    tcp-check send info\ replication\r\n
    tcp-check expect string role:master
    tcp-check send QUIT\r\n
    tcp-check expect string +OK
`, sock, front)
	for k, s := range servers {
		cfg += fmt.Sprintf("    server s%d %s check inter 1s\n", k, s)
	}
	return cfg
}

// StartWriter runs a writer through HAProxy until the returned stop.
func (r *HAProxyRig) StartWriter(t TB) (*Writer, func()) {
	w := &Writer{Addr: r.Front, Prefix: "w", ReconnectEvery: 5}
	stop := w.Start()
	t.Cleanup(stop)
	WaitFor(t, 10*time.Second, "first write through HAProxy", func() error {
		if w.Acked() == 0 {
			return fmt.Errorf("no write acknowledged yet (%d failures)", w.Failures())
		}
		return nil
	})
	return w, stop
}

// CrashScenario: a writer through HAProxy, kill -9 the master, restart it
// empty a few seconds later. It returns the writer's outage and how many
// acknowledged writes the new master lacks.
func CrashScenario(t TB, impl Impl) (outage time.Duration, lost, acked int) {
	r := NewHAProxyRig(t, impl)
	master, replica := r.Master, r.Replica

	w, stop := r.StartWriter(t)
	time.Sleep(time.Second)
	killed := time.Now()
	master.Kill()
	time.Sleep(4 * time.Second)
	if err := master.Restart(); err != nil { // empty: no persistence
		t.Fatalf("%v", err)
	}
	WaitFor(t, 40*time.Second, "old master to become a replica", func() error {
		info, err := master.Info("replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" {
			return fmt.Errorf("role=%s", info["role"])
		}
		return nil
	})
	time.Sleep(2 * time.Second)
	stop()
	outage = w.Outage(killed)
	lost, acked, err := w.Lost(replica.Addr())
	if err != nil {
		t.Fatalf("%v", err)
	}
	return outage, lost, acked
}

// HAProxyServerStatus asks HAProxy's admin socket (show stat) for the
// status of every server of backend: "UP", "DOWN", "MAINT", ...
func HAProxyServerStatus(sock, backend string) (map[string]string, error) {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return nil, fmt.Errorf("haproxy socket: %w", err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte("show stat\n")); err != nil {
		return nil, fmt.Errorf("show stat: %w", err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return nil, fmt.Errorf("show stat: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		return nil, fmt.Errorf("show stat: no CSV header in %q", b)
	}
	col := map[string]int{}
	for k, name := range strings.Split(strings.TrimPrefix(lines[0], "# "), ",") {
		col[name] = k
	}
	px, sv, st := col["pxname"], col["svname"], col["status"]
	out := map[string]string{}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) <= max(px, sv, st) || f[px] != backend || f[sv] == "FRONTEND" || f[sv] == "BACKEND" {
			continue
		}
		out[f[sv]] = f[st]
	}
	return out, nil
}
