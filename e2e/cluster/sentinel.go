package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Impl says which sentinel implementation to run.
type Impl int

// The two implementations every test can run side by side.
const (
	Real Impl = iota // redis-sentinel from the system
	Ours             // our bin/sentinel
)

func (i Impl) String() string {
	if i == Real {
		return "redis-sentinel"
	}
	return "ours"
}

// Monitor is one "sentinel monitor" block of a generated config.
type Monitor struct {
	Name   string
	Redis  *Redis // the master; or set Host and Port
	Host   string
	Port   int
	Quorum int
	// Zero durations leave the directive out (the sentinel's default).
	DownAfter       time.Duration
	FailoverTimeout time.Duration
}

// SentinelConfig describes a generated sentinel.conf.
type SentinelConfig struct {
	Monitors []Monitor
	// Extra lines are written verbatim after the generated ones.
	Extra []string
	// Args follow the config path on the command line (ours only:
	// --gossip-bind and friends).
	Args []string
	// Wrap, when set, is a command the sentinel is started under, its
	// binary and arguments appended ("prlimit --nofile=200:200 --"): it
	// must exec the sentinel, so that the process is the sentinel's.
	Wrap []string
}

// Render writes the config for port and dir, in the redis-sentinel format
// both implementations read.
func (sc SentinelConfig) Render(port int, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "port %d\nbind 127.0.0.1\ndir %s\n", port, dir)
	for _, m := range sc.Monitors {
		host, mport := m.Host, m.Port
		if m.Redis != nil {
			host, mport = "127.0.0.1", m.Redis.Port
		}
		fmt.Fprintf(&b, "sentinel monitor %s %s %d %d\n", m.Name, host, mport, m.Quorum)
		if m.DownAfter > 0 {
			fmt.Fprintf(&b, "sentinel down-after-milliseconds %s %d\n", m.Name, m.DownAfter.Milliseconds())
		}
		if m.FailoverTimeout > 0 {
			fmt.Fprintf(&b, "sentinel failover-timeout %s %d\n", m.Name, m.FailoverTimeout.Milliseconds())
		}
	}
	for _, l := range sc.Extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Sentinel is a running sentinel of either implementation.
type Sentinel struct {
	*Process
	Impl     Impl
	Port     int
	ConfPath string
}

// Addr is "127.0.0.1:port".
func (s *Sentinel) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// StartSentinel writes a config for sc into a fresh directory and starts
// a sentinel of the given implementation on it.
func (c *Cluster) StartSentinel(impl Impl, name string, sc SentinelConfig) *Sentinel {
	c.t.Helper()
	dir := c.NewDir(name)
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(sc.Render(0, dir)), 0o644); err != nil {
		c.t.Fatalf("write config: %v", err)
	}
	return c.startSentinel(impl, name, path, sc.Args, sc.Wrap...)
}

// StartSentinelOnConf starts a sentinel on an existing config file (a
// copy of another sentinel's, say). Its port directive is replaced by a
// free port; everything else is left as it is.
func (c *Cluster) StartSentinelOnConf(impl Impl, name, path string) *Sentinel {
	c.t.Helper()
	return c.startSentinel(impl, name, path, nil)
}

// StartSentinelWriting starts a sentinel on path, which write makes for
// the port tried (a config file the sentinel must not be able to
// rewrite, say).
func (c *Cluster) StartSentinelWriting(impl Impl, name, path string, write func(port int) error) *Sentinel {
	c.t.Helper()
	bin := OurBinary(c.t)
	if impl == Real {
		bin = LookBinary(c.t, "redis-sentinel")
	}
	p, port := c.launch(func(port int) (*Process, error) {
		if err := write(port); err != nil {
			return nil, err
		}
		return NewProcess(name, bin, filepath.Dir(path), path), nil
	})
	return &Sentinel{Process: p, Impl: impl, Port: port, ConfPath: path}
}

func (c *Cluster) startSentinel(impl Impl, name, path string, args []string, wrap ...string) *Sentinel {
	c.t.Helper()
	var bin string
	if impl == Real {
		bin = LookBinary(c.t, "redis-sentinel")
	} else {
		bin = OurBinary(c.t)
	}
	p, port := c.launch(func(port int) (*Process, error) {
		if err := SetConfPort(path, port); err != nil {
			return nil, err
		}
		argv := append([]string{path}, args...)
		if len(wrap) > 0 {
			return NewProcess(name, wrap[0], filepath.Dir(path), append(append(append([]string(nil), wrap[1:]...), bin), argv...)...), nil
		}
		return NewProcess(name, bin, filepath.Dir(path), argv...), nil
	})
	return &Sentinel{Process: p, Impl: impl, Port: port, ConfPath: path}
}

// SetConfPort replaces (or adds) the port directive of a config file.
func SetConfPort(path string, port int) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	found := false
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 2 && strings.EqualFold(f[0], "port") {
			lines[i] = "port " + strconv.Itoa(port)
			found = true
		}
	}
	if !found {
		lines = append([]string{"port " + strconv.Itoa(port)}, lines...)
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// Restart kills the sentinel (kill -9) and starts it again on the same
// config file and port, returning once it answers PING.
func (s *Sentinel) Restart() error { return Restart(s.Process, s.Port) }

// Do runs one command on a fresh connection; error replies become errors.
func (s *Sentinel) Do(args ...string) (Value, error) { return Command(s.Addr(), args...) }

// MyID is SENTINEL MYID.
func (s *Sentinel) MyID() (string, error) {
	v, err := s.Do("SENTINEL", "MYID")
	return v.Text(), err
}

// Master is SENTINEL MASTER name as a field map.
func (s *Sentinel) Master(name string) (map[string]string, error) {
	v, err := s.Do("SENTINEL", "MASTER", name)
	if err != nil {
		return nil, err
	}
	return v.KV(), nil
}

// Replicas is SENTINEL REPLICAS name as field maps.
func (s *Sentinel) Replicas(name string) ([]map[string]string, error) {
	v, err := s.Do("SENTINEL", "REPLICAS", name)
	if err != nil {
		return nil, err
	}
	return v.KVList(), nil
}

// Sentinels is SENTINEL SENTINELS name as field maps.
func (s *Sentinel) Sentinels(name string) ([]map[string]string, error) {
	v, err := s.Do("SENTINEL", "SENTINELS", name)
	if err != nil {
		return nil, err
	}
	return v.KVList(), nil
}

// Conf reads the sentinel's config file as it is on disk now.
func (s *Sentinel) Conf() (*ConfFile, error) { return ReadConf(s.ConfPath) }

// WaitReplica waits until s lists a replica at addr ("127.0.0.1:6380")
// for master name whose flags are exactly "slave" (connected, not down).
func (s *Sentinel) WaitReplica(t TB, name, addr string, timeout time.Duration) {
	t.Helper()
	s.waitReplica(t, name, addr, timeout, "", func(map[string]string) bool { return true })
}

// WaitReplicaInfo is WaitReplica until s has also read the replica's INFO
// (info-refresh under 3 s): redis-sentinel asks for it right behind the
// first PING, but on a loaded machine the replica can show as connected
// first, and a failover asked for then answers -NOGOODSLAVE.
func (s *Sentinel) WaitReplicaInfo(t TB, name, addr string, timeout time.Duration) {
	t.Helper()
	s.waitReplica(t, name, addr, timeout, " and its INFO", func(r map[string]string) bool {
		ms, err := strconv.Atoi(r["info-refresh"])
		return err == nil && ms < 3000
	})
}

// waitReplica waits until s lists a connected replica at addr for master
// name of which ok holds.
func (s *Sentinel) waitReplica(t TB, name, addr string, timeout time.Duration, what string, ok func(map[string]string) bool) {
	t.Helper()
	WaitFor(t, timeout, fmt.Sprintf("%s (%s) to see replica %s%s", s.Name, s.Impl, addr, what), func() error {
		reps, err := s.Replicas(name)
		if err != nil {
			return err
		}
		var seen []string
		for _, r := range reps {
			if r["name"] == addr && r["flags"] == "slave" && ok(r) {
				return nil
			}
			seen = append(seen, r["name"]+"("+r["flags"]+", info-refresh "+r["info-refresh"]+")")
		}
		return fmt.Errorf("replicas: %v", seen)
	})
}

// WaitSentinels waits until s knows exactly n other sentinels for master
// name, none of them flagged down or disconnected.
func (s *Sentinel) WaitSentinels(t TB, name string, n int, timeout time.Duration) {
	t.Helper()
	if err := Poll(timeout, func() error { return s.checkSentinels(name, n) }); err != nil {
		t.Fatalf("waiting for %s (%s) to see %d sentinels: %v", s.Name, s.Impl, n, err)
	}
}

func (s *Sentinel) checkSentinels(name string, n int) error {
	peers, err := s.Sentinels(name)
	if err != nil {
		return err
	}
	var seen []string
	ok := 0
	for _, p := range peers {
		seen = append(seen, p["ip"]+":"+p["port"]+"("+p["flags"]+")")
		if p["flags"] == "sentinel" {
			ok++
		}
	}
	if ok != n || len(peers) != n {
		return fmt.Errorf("sentinels: %v", seen)
	}
	return nil
}

// CheckSentinels reports an error unless s knows exactly n other
// sentinels for master name, none of them flagged down or disconnected.
func (s *Sentinel) CheckSentinels(name string, n int) error { return s.checkSentinels(name, n) }
