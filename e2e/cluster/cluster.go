// Package cluster starts real redis-server, redis-sentinel and our sentinel
// processes on free loopback ports for end-to-end tests and benchmarks, and
// always stops them again.
//
// It is the e2e counterpart of hashicorp/raft's testing.go: a Cluster is
// bound to one test (or a Scope in a program), every process it starts is
// killed at cleanup, and the output of every process is printed when the
// test failed. Nothing here mocks Redis.
//
//	c := cluster.New(t)
//	m := c.StartRedis("master")
//	r := c.StartReplica("replica", m)
//	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
//		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: m, Quorum: 2, DownAfter: time.Second}},
//	})
//	cluster.WaitFor(t, 10*time.Second, "replica discovered", func() error { ... })
package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TB is the part of testing.TB the harness needs. *testing.T and
// *testing.B satisfy it; programs use a Scope.
type TB interface {
	Helper()
	Name() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
	TempDir() string
	Failed() bool
}

// Cluster owns the processes of one test.
type Cluster struct {
	t   TB
	dir string

	// ReadyTimeout, when set, replaces StartTimeout for the processes
	// this cluster launches: redis-sentinel watching thousands of masters
	// (the failover benchmark) is too busy saving its discoveries to
	// answer a PING within it.
	ReadyTimeout time.Duration

	mu    sync.Mutex
	procs []*Process
	seq   map[string]int
}

// StartTimeout bounds how long a process may take to answer PING after
// start. redis-server is up in ~10 ms; a slow CI box gets a lot of slack.
const StartTimeout = 10 * time.Second

// New returns a cluster whose processes are killed when the test ends,
// whether it passed, failed, panicked or was skipped. With E2E_LOGS=1 the
// process output is printed even when the test passed.
func New(t TB) *Cluster {
	c := &Cluster{t: t, dir: t.TempDir(), seq: map[string]int{}}
	// Registered after TempDir, so it runs before the directory is
	// removed: processes must not be writing into a vanishing directory.
	t.Cleanup(c.shutdown)
	return c
}

// Dir is the cluster's scratch directory (removed at cleanup).
func (c *Cluster) Dir() string { return c.dir }

// T is the test the cluster belongs to.
func (c *Cluster) T() TB { return c.t }

// NewDir creates a fresh subdirectory of Dir named after name.
func (c *Cluster) NewDir(name string) string {
	c.mu.Lock()
	c.seq[name]++
	n := c.seq[name]
	c.mu.Unlock()
	d := filepath.Join(c.dir, fmt.Sprintf("%s-%d", name, n))
	if err := os.MkdirAll(d, 0o755); err != nil {
		c.t.Fatalf("mkdir: %v", err)
	}
	return d
}

// Adopt makes the cluster kill p at cleanup and print its output on
// failure, for processes the harness does not start itself (haproxy).
func (c *Cluster) Adopt(p *Process) { c.add(p) }

func (c *Cluster) add(p *Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.procs = append(c.procs, p)
}

// Processes lists every process started so far.
func (c *Cluster) Processes() []*Process {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Process(nil), c.procs...)
}

func (c *Cluster) shutdown() {
	procs := c.Processes()
	// Sentinels were started last; killing them first keeps them from
	// logging (and acting on) the death of the Redis instances.
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Kill()
	}
	if c.t.Failed() || os.Getenv("E2E_LOGS") != "" {
		for _, p := range procs {
			c.t.Logf("----- output of %s (%s) -----\n%s", p.Name, p.Path, tail(p.Logs(), logLines))
		}
	}
}

// logLines is how much of each process's output a failed test prints;
// the whole of it is usually megabytes of PINGs nobody reads.
const logLines = 200

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return fmt.Sprintf("[... %d lines omitted ...]\n%s", len(lines)-n, strings.Join(lines[len(lines)-n:], ""))
}

// launch starts a process on a fresh port and waits until it answers PING.
// build makes the process for a given port. A port taken in the meantime
// by someone else (another test binary, an outgoing connection) makes the
// process exit with "Address already in use"; then a new port is tried.
func (c *Cluster) launch(build func(port int) (*Process, error)) (*Process, int) {
	c.t.Helper()
	var last string
	for attempt := 0; attempt < 3; attempt++ {
		port := MustFreePort(c.t)
		p, err := build(port)
		if err != nil {
			c.t.Fatalf("%v", err)
		}
		c.add(p)
		if err := p.Start(); err != nil {
			c.t.Fatalf("%v", err)
		}
		ready := StartTimeout
		if c.ReadyTimeout > 0 {
			ready = c.ReadyTimeout
		}
		err = WaitReady(p, port, ready)
		if err == nil {
			return p, port
		}
		p.Kill()
		logs := p.Logs()
		if strings.Contains(logs, "already in use") && attempt < 2 {
			last = logs
			continue
		}
		c.t.Fatalf("%s did not come up: %v\n----- output -----\n%s", p.Name, err, tail(logs, logLines))
	}
	c.t.Fatalf("no free port after 3 attempts; last output:\n%s", tail(last, logLines))
	return nil, 0
}

// WaitReady waits until something on port answers a PING (any reply,
// even -LOADING or -NOAUTH, means the process is serving), failing early
// if p exits.
func WaitReady(p *Process, port int, timeout time.Duration) error {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	exited := p.Exited()
	return Poll(timeout, func() error {
		select {
		case <-exited:
			return fmt.Errorf("%s exited (%v): %w", p.Name, p.ExitState(), ErrStop)
		default:
		}
		conn, err := Dial(addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		conn.Timeout = time.Second
		_, err = conn.Do("PING")
		return err
	})
}

// Restart kills p (if running) and starts it again with the same
// arguments, waiting until port answers.
func Restart(p *Process, port int) error {
	p.Kill()
	if err := p.Start(); err != nil {
		return err
	}
	return WaitReady(p, port, StartTimeout)
}
