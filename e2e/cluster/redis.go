package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Redis is a running redis-server.
type Redis struct {
	*Process
	Port int
}

// Addr is "127.0.0.1:port".
func (r *Redis) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

// Do runs one command on a fresh connection.
func (r *Redis) Do(args ...string) (Value, error) { return Command(r.Addr(), args...) }

// Info returns the fields of one INFO section ("replication").
func (r *Redis) Info(section string) (map[string]string, error) {
	v, err := r.Do("INFO", section)
	if err != nil {
		return nil, err
	}
	return ParseInfo(v.Text()), nil
}

// Restart kills the server and starts it again on the same port. With no
// persistence configured it comes back empty, like a crashed master.
func (r *Redis) Restart() error { return Restart(r.Process, r.Port) }

// RestartAsMaster is Restart for a server that was started as a replica
// and has since been promoted: it comes back without its --replicaof, as
// a real one does whose config file the sentinels rewrote when they
// promoted it (ours run without a config file, so CONFIG REWRITE cannot
// do that here). Coming back as a replica of the replica that replaced
// it would make a replication loop no sentinel can break: neither side
// is a master, and the replica's link has been down too long to promote.
func (r *Redis) RestartAsMaster() error {
	args := r.Args
	for k := 0; k+2 < len(args); k++ {
		if args[k] == "--replicaof" {
			args = append(append([]string(nil), args[:k]...), args[k+3:]...)
			break
		}
	}
	r.Args = args
	return r.Restart()
}

// redisArgs are the flags every test server gets: loopback only, no
// persistence (nothing to clean, restarts come back empty), and no
// diskless-sync delay, which otherwise holds a new replica back 5 s.
func redisArgs(port int, dir string) []string {
	return []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", "",
		"--protected-mode", "no",
		"--repl-diskless-sync", "yes",
		"--repl-diskless-sync-delay", "0",
	}
}

// StartRedis starts a redis-server master. extra are more
// "--option value" arguments.
func (c *Cluster) StartRedis(name string, extra ...string) *Redis {
	c.t.Helper()
	bin := LookBinary(c.t, "redis-server")
	dir := c.NewDir(name)
	p, port := c.launch(func(port int) (*Process, error) {
		args := append(redisArgs(port, dir), extra...)
		return NewProcess(name, bin, dir, args...), nil
	})
	return &Redis{Process: p, Port: port}
}

// StartReplica starts a redis-server replicating from master. It returns
// once the replica answers; use WaitReplicaSynced to wait for the link.
func (c *Cluster) StartReplica(name string, master *Redis, extra ...string) *Redis {
	c.t.Helper()
	args := append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(master.Port)}, extra...)
	return c.StartRedis(name, args...)
}

// WaitReplicaSynced waits until r reports master_link_status:up. Tests
// wait for this before starting sentinels: a sentinel that sees the link
// down in its first INFO keeps that view for a whole INFO period (10 s).
func WaitReplicaSynced(t TB, r *Redis) {
	t.Helper()
	WaitFor(t, StartTimeout, r.Name+" in sync", func() error {
		info, err := r.Info("replication")
		if err != nil {
			return err
		}
		if info["master_link_status"] != "up" {
			return fmt.Errorf("role=%s master_link_status=%s", info["role"], info["master_link_status"])
		}
		return nil
	})
}

// ParseInfo reads "field:value" lines of an INFO reply, skipping section
// headers and blank lines.
func ParseInfo(text string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// WaitReplicaOf waits until r reports role slave of master (an old master
// turned into a replica by the sentinels).
func WaitReplicaOf(t TB, r, master *Redis, timeout time.Duration) {
	t.Helper()
	WaitFor(t, timeout, r.Name+" to replicate "+master.Addr(), func() error {
		info, err := r.Info("replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_port"] != strconv.Itoa(master.Port) {
			return fmt.Errorf("role=%s master_port=%s", info["role"], info["master_port"])
		}
		return nil
	})
}
