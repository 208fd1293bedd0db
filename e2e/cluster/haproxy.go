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

// HAProxyRig is masters with a replica each, three sentinels and HAProxy
// in front (a frontend per master): the seed setup's routing, for e2e
// tests and the benchmark. Master, Replica and Front are the first
// master's (the only one in the one-master rig).
type HAProxyRig struct {
	C         *Cluster
	Master    *Redis
	Replica   *Redis
	Sentinels []*Sentinel
	Front     string // HAProxy's frontend, host:port
	Sock      string // HAProxy's admin socket

	Names    []string // master names, "mymaster" alone or m0, m1, ...
	Masters  []*Redis
	Replicas []*Redis
	Fronts   []string // each master's frontend
}

// NewHAProxyRig builds the one-master topology. impl says who routes: our
// agent-check (Ours) or the tcp-check role:master recipe with
// redis-sentinel (Real).
func NewHAProxyRig(t TB, impl Impl) *HAProxyRig { return NewHAProxyRigN(t, impl, 1) }

// NewHAProxyRigN is NewHAProxyRig with n masters (named m0, m1, ... when
// n > 1), each with its own HAProxy frontend and backend.
func NewHAProxyRigN(t TB, impl Impl, n int) *HAProxyRig {
	c := New(t)
	r := &HAProxyRig{C: c, Sock: HAProxySocket(t)}
	var mons []Monitor
	for k := range n {
		name := "mymaster"
		if n > 1 {
			name = fmt.Sprintf("m%d", k)
		}
		master := c.StartRedis(name)
		r.Names = append(r.Names, name)
		r.Masters = append(r.Masters, master)
		mons = append(mons, Monitor{Name: name, Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second})
	}
	for k, m := range r.Masters {
		r.Replicas = append(r.Replicas, c.StartReplica(r.Names[k]+"-replica", m))
	}
	for _, rep := range r.Replicas {
		WaitReplicaSynced(t, rep)
	}
	fronts := make([]int, n)
	for k := range fronts {
		fronts[k] = MustFreePort(t)
		r.Fronts = append(r.Fronts, "127.0.0.1:"+strconv.Itoa(fronts[k]))
	}
	var cfg string
	agentPort := MustFreePort(t)
	for k := range 3 {
		var args []string
		name := fmt.Sprintf("real%d", k)
		if impl == Ours {
			name = fmt.Sprintf("ours%d", k)
			if k == 0 {
				args = []string{"--agent-check", "127.0.0.1:" + strconv.Itoa(agentPort), "--haproxy-socket", r.Sock}
			}
		}
		r.Sentinels = append(r.Sentinels, c.StartSentinel(impl, name, SentinelConfig{Monitors: mons, Args: args}))
	}
	for _, s := range r.Sentinels {
		for k, rep := range r.Replicas {
			s.WaitSentinels(t, r.Names[k], 2, 30*time.Second)
			s.WaitReplica(t, r.Names[k], rep.Addr(), 30*time.Second)
		}
	}
	if impl == Ours {
		pins := make([]string, n)
		for k := range pins {
			pins[k] = r.Names[k] + "=" + strconv.Itoa(fronts[k])
		}
		cfg = ourHAProxyConfig(t, r.Sentinels[0], agentPort, r.Sock, "--frontend-port", strings.Join(pins, ","))
	} else {
		cfg = tcpCheckGlobal(r.Sock)
		for k := range n {
			cfg += tcpCheckBackend(r.Names[k], fronts[k], r.Masters[k].Addr(), r.Replicas[k].Addr())
		}
	}
	StartHAProxy(t, c, "haproxy", cfg, fronts[0])
	r.Master, r.Replica, r.Front = r.Masters[0], r.Replicas[0], r.Fronts[0]
	return r
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
	return ourHAProxyConfig(t, s, agentPort, sock, "--frontend-port-base", strconv.Itoa(front))
}

func ourHAProxyConfig(t TB, s *Sentinel, agentPort int, sock string, ports ...string) string {
	t.Helper()
	s.Do("SENTINEL", "FLUSHCONFIG")
	args := append([]string{"haproxy-config", s.ConfPath,
		"--agent-addr", "127.0.0.1:" + strconv.Itoa(agentPort),
		"--stats-socket", sock, "--maxconn", "256"}, ports...)
	out, err := exec.Command(OurBinary(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("haproxy-config: %v\n%s", err, out)
	}
	return string(out)
}

// TCPCheckRecipe is the usual HAProxy setup in front of redis-sentinel,
// from HAProxy's blog: route to whichever server answers role:master to
// a tcp-check, every second. servers are host:port.
func TCPCheckRecipe(front int, sock string, servers ...string) string {
	return tcpCheckGlobal(sock) + tcpCheckBackend("mymaster", front, servers...)
}

func tcpCheckGlobal(sock string) string {
	return fmt.Sprintf(`global
    maxconn 256
    stats socket %s mode 600 level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 1h
    timeout server 1h
    timeout check 1s
`, sock)
}

func tcpCheckBackend(name string, front int, servers ...string) string {
	cfg := fmt.Sprintf(`frontend %[1]s
    bind 127.0.0.1:%[2]d
    default_backend %[1]s
backend %[1]s
    option tcp-check
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    tcp-check send info\ replication\r\n
    tcp-check expect string role:master
    tcp-check send QUIT\r\n
    tcp-check expect string +OK
`, name, front)
	for k, s := range servers {
		cfg += fmt.Sprintf("    server s%d %s check inter 1s\n", k, s)
	}
	return cfg
}

// StartWriter runs a writer through HAProxy until the returned stop.
func (r *HAProxyRig) StartWriter(t TB) (*Writer, func()) {
	return r.StartWriterAt(t, 0)
}

// StartWriterAt runs a writer through master k's frontend.
func (r *HAProxyRig) StartWriterAt(t TB, k int) (*Writer, func()) {
	w := &Writer{Addr: r.Fronts[k], Prefix: "w", ReconnectEvery: 5}
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
