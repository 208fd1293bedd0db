package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/agentcheck"
	"github.com/qsentinel/qsentinel/atomicfile"
	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sentinelconf"
)

// haproxyConfig is `sentinel haproxy-config`: a complete haproxy.cfg with a
// frontend per monitored master and a backend listing the master and its
// known replicas, every server checked by our agent so that HAProxy routes
// by the quorum's view.
func haproxyConfig(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("haproxy-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yamlPath := fs.String("config", "", "YAML config (instead of a .conf path as first argument)")
	agent := fs.String("agent-addr", "", "host:port of the agent-check server (default: the config's agent check address)")
	bind := fs.String("bind", "127.0.0.1", "address the frontends listen on")
	base := fs.Int("frontend-port-base", 7000, "first frontend port: a master neither pinned nor in --output's file gets the lowest free port from here")
	pins := pinFlag{}
	fs.Var(pins, "frontend-port", "pin a master's frontend port, `name=port` (repeatable, or comma-separated); its read frontend is port+100")
	output := fs.String("output", "", "write the config to this `file` (atomically) instead of stdout; frontends already in it keep their ports")
	socket := fs.String("stats-socket", "/run/haproxy/admin.sock", "HAProxy runtime API socket")
	inter := fs.String("agent-inter", "", "agent-check interval (default: 500ms, or a quarter of the shortest down-after if less, at least 100ms)")
	check := fs.String("check-inter", "1s", "TCP health check interval")
	maxconn := fs.Int("maxconn", 2000, "HAProxy global maxconn (HAProxy needs about twice as many file descriptors)")
	read := fs.Bool("read-backends", false, "also a read frontend per master (replicas linked to the master, port base+100+i)")
	retries := fs.Int("retries", 0, "HAProxy connect retries to a server (0: a refused connection reaches the client at once instead of waiting a second per retry for a dead master)")
	liveness := fs.Bool("agent-liveness", true, "the health check also asks the agent, so a dead agent takes the servers down instead of freezing its last verdict")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: sentinel haproxy-config <sentinel.conf | --config sentinel.yaml> [options]")
		fs.PrintDefaults()
	}
	var confPath string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		confPath, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "haproxy-config: unexpected argument %q (the .conf path goes first, before the options)\n", fs.Arg(0))
		return 2
	}
	var file *sentinelconf.File
	var err error
	switch {
	case *yamlPath != "":
		var y *sentinelconf.YAMLConfig
		file, y, err = sentinelconf.LoadYAML(*yamlPath, "SENTINEL")
		if err == nil {
			err = sentinelconf.LoadState(y.StatePath(file.Server.Dir), &file.Sentinel)
		}
	case confPath != "":
		file, err = sentinelconf.ParseFile(confPath)
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *agent == "" {
		*agent = file.AgentCheck.Addr
	}
	ahost, aport, err := net.SplitHostPort(*agent)
	if err != nil || ahost == "" {
		fmt.Fprintf(stderr, "haproxy-config: --agent-addr host:port is required (got %q)\n", *agent)
		return 2
	}
	if *retries < 0 {
		fmt.Fprintf(stderr, "haproxy-config: --retries must be 0 or more (got %d)\n", *retries)
		return 2
	}
	if *inter == "" {
		*inter = defaultAgentInter(file.Sentinel.Masters).String()
	}
	for name, port := range file.HAProxyPorts {
		if _, onCommandLine := pins[name]; !onCommandLine {
			pins[name] = port // the command line wins, as everywhere
		}
	}
	existing := map[string]int{}
	if *output != "" {
		if existing, err = existingFrontends(*output); err != nil {
			fmt.Fprintf(stderr, "haproxy-config: %s: %v\n", *output, err)
			return 1
		}
	}
	var names []string
	for _, m := range file.Sentinel.Masters {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	ports, err := assignPorts(names, *base, *read, pins, existing)
	if err != nil {
		fmt.Fprintf(stderr, "haproxy-config: %v\n", err)
		return 1
	}
	o := hpOptions{
		bind: *bind, socket: *socket, agentHost: ahost, agentPort: aport,
		agentInter: *inter, checkInter: *check, read: *read, maxconn: *maxconn, retries: *retries, liveness: *liveness,
		ports: ports, stdout: *output == "",
	}
	if *output == "" {
		writeHAProxyConfig(stdout, file.Sentinel.Masters, o)
		return 0
	}
	// A pin that moves a frontend is the operator's choice, but say so:
	// its clients reach the dataset at the new port only.
	for _, n := range names {
		if old, ok := existing[n]; ok && old != ports[n].write {
			fmt.Fprintf(stderr, "haproxy-config: frontend %s moves from port %d to %d (%s)\n", n, old, ports[n].write, ports[n].source)
		}
	}
	var b bytes.Buffer
	writeHAProxyConfig(&b, file.Sentinel.Masters, o)
	perm := os.FileMode(0o644)
	if st, err := os.Stat(*output); err == nil {
		perm = st.Mode().Perm()
	}
	if err := atomicfile.Write(*output, b.Bytes(), perm); err != nil {
		fmt.Fprintf(stderr, "haproxy-config: %v\n", err)
		return 1
	}
	return 0
}

// defaultAgentInter is 500 ms, or a quarter of the shortest down-after
// when that is less (at least 100 ms): a sentinel cut off from its peers
// stops vouching for its master half a down-after after the cut at worst
// (failover.Machine.AgreeWindows), the majority cannot see the master down
// before three quarters, and HAProxy must have asked the agent in between.
func defaultAgentInter(masters []sentinel.MasterState) time.Duration {
	inter := 500 * time.Millisecond
	for _, m := range masters {
		if d := m.DownAfter / 4; d > 0 && d < inter {
			inter = max(d, 100*time.Millisecond)
		}
	}
	return inter
}

type hpOptions struct {
	bind, socket, agentHost, agentPort, agentInter, checkInter string
	maxconn, retries                                           int
	read, liveness                                             bool
	// ports are each master's frontend ports (assignPorts); stdout says
	// the file is printed, not written with --output, so that ports
	// assigned by name order are flagged in it.
	ports  map[string]frontendPorts
	stdout bool
}

// serverName is how a Redis address is named in HAProxy; the push to the
// runtime API relies on the same rule.
func serverName(a sentinel.Addr) string { return agentcheck.ServerName(a.Host, a.Port) }

func writeHAProxyConfig(w io.Writer, masters []sentinel.MasterState, o hpOptions) {
	ms := append([]sentinel.MasterState(nil), masters...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	rise, liveNote := 1, ""
	if o.liveness {
		// rise 2: after the health check failed (the agent was dead), a
		// server comes back only after two passing checks, one check
		// interval apart; the agent, asked every agent-inter (shorter),
		// has given a fresh verdict by then, so a verdict frozen while it
		// was dead never routes a single connection.
		rise = 2
		liveNote = `
# HAProxy keeps the agent's last verdict while the agent does not answer.
# So the health check of every server asks the agent too ("ping", expects
# "pong"): when the agent dies or hangs, every server fails its health
# check within fall x inter + timeout check and the backend goes down
# (fail closed) instead of routing by a verdict that may be stale. Run one
# HAProxy per sentinel, each asking its own sentinel's agent, and let
# clients fail over between the HAProxies.`
	}
	fmt.Fprint(w, portsHeader(ms, o))
	fmt.Fprintf(w, `# Generated by "sentinel haproxy-config". Each master's servers are
# checked by the sentinel's agent (%s:%s): only the master the quorum
# agreed on is "up"; an old master that comes back claiming master stays
# down until the sentinels have turned it into a replica. The agent fails
# closed: it says "up" only while its sentinel sees a majority of the
# sentinels agreeing on the master.%s
global
    maxconn %d
    stats socket %s mode 660 level admin expose-fd listeners

defaults
    mode tcp
    timeout connect 1s
    timeout client 1h
    timeout server 1h
    timeout check 1s
%s    default-server check inter %s fall 2 rise %d agent-check agent-addr %s agent-port %s agent-inter %s on-marked-down shutdown-sessions
`, o.agentHost, o.agentPort, liveNote, o.maxconn, o.socket, retriesLines(o.retries), o.checkInter, rise, o.agentHost, o.agentPort, o.agentInter)
	for _, m := range ms {
		fp := o.ports[m.Name]
		servers := append([]sentinel.Addr{m.Addr}, m.KnownReplicas...)
		fmt.Fprintf(w, "\nfrontend %s\n    bind %s:%d\n    default_backend %s\n", m.Name, o.bind, fp.write, m.Name)
		fmt.Fprintf(w, "\nbackend %s\n", m.Name)
		writeLivenessCheck(w, o)
		for _, a := range servers {
			fmt.Fprintf(w, "    server %s %s agent-send \"%s %s\\n\"\n", serverName(a), a.String(), m.Name, a.String())
		}
		if o.read {
			fmt.Fprintf(w, "\nfrontend %s_read\n    bind %s:%d\n    default_backend %s_read\n", m.Name, o.bind, fp.read, m.Name)
			fmt.Fprintf(w, "\nbackend %s_read\n    balance roundrobin\n", m.Name)
			writeLivenessCheck(w, o)
			for _, a := range servers {
				fmt.Fprintf(w, "    server %s %s agent-send \"%s %s read\\n\"\n", serverName(a), a.String(), m.Name, a.String())
			}
		}
	}
}

// retriesLines is the defaults' retries directive, with the reason when
// it is haproxy-config's own 0.
func retriesLines(n int) string {
	if n != 0 {
		return fmt.Sprintf("    retries %d\n", n)
	}
	return `    # retries 0: a connection refused by a dead master is not retried.
    # HAProxy waits min(timeout connect, 1s) before each retry, and marking
    # the server down does not end that wait: a client that connected just
    # before the sentinels saw the master down waited up to a second (or
    # its own timeout) for nothing. Now it gets the error at once and
    # reconnects, to the new master as soon as the sentinels switch.
    retries 0
`
}

// writeLivenessCheck makes a backend's health check connect to the Redis
// server (as the plain check did) and then ask the agent "ping": a server
// passes only while the agent answers "pong".
func writeLivenessCheck(w io.Writer, o hpOptions) {
	if !o.liveness {
		return
	}
	fmt.Fprintf(w, `    option tcp-check
    tcp-check connect comment redis
    tcp-check connect addr %s port %s comment agent-alive
    tcp-check send %s\n
    tcp-check expect string %s
`, o.agentHost, o.agentPort, agentcheck.PingRequest, agentcheck.PingReply)
}

// portsHeader lists each frontend's port and where it came from. Printed
// to stdout, ports assigned by name order are flagged: adding a master
// can move them, which --frontend-port or --output prevents.
func portsHeader(ms []sentinel.MasterState, o hpOptions) string {
	var b strings.Builder
	b.WriteString("# Frontend ports:\n")
	moving := false
	for _, m := range ms {
		fp := o.ports[m.Name]
		fmt.Fprintf(&b, "#   %s %d", m.Name, fp.write)
		if o.read {
			fmt.Fprintf(&b, " (read %d)", fp.read)
		}
		fmt.Fprintf(&b, ": %s\n", fp.source)
		moving = moving || fp.source == portAssigned
	}
	if moving && o.stdout {
		b.WriteString(`# Assigned ports follow the masters' name order: adding a master can move
# them to another dataset's port. Pin each with --frontend-port name=port,
# or write the file with --output FILE, which keeps every port already in it.
`)
	}
	return b.String()
}
