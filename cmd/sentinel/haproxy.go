package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/agentcheck"
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
	base := fs.Int("frontend-port-base", 7000, "first frontend port; masters in name order get base, base+1, ...")
	socket := fs.String("stats-socket", "/run/haproxy/admin.sock", "HAProxy runtime API socket")
	inter := fs.String("agent-inter", "", "agent-check interval (default: 500ms, or a quarter of the shortest down-after if less, at least 100ms)")
	check := fs.String("check-inter", "1s", "TCP health check interval")
	maxconn := fs.Int("maxconn", 2000, "HAProxy global maxconn (HAProxy needs about twice as many file descriptors)")
	read := fs.Bool("read-backends", false, "also a read frontend per master (replicas linked to the master, port base+100+i)")
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
		return 2
	}
	var file *sentinelconf.File
	var err error
	switch {
	case *yamlPath != "":
		var y *sentinelconf.YAMLConfig
		file, y, err = sentinelconf.LoadYAML(*yamlPath, "SENTINEL")
		if err == nil {
			state := y.StateFile
			if !filepath.IsAbs(state) {
				state = filepath.Join(file.Server.Dir, state)
			}
			err = sentinelconf.LoadState(state, &file.Sentinel)
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
	if *inter == "" {
		*inter = defaultAgentInter(file.Sentinel.Masters).String()
	}
	writeHAProxyConfig(stdout, file.Sentinel.Masters, hpOptions{
		bind: *bind, base: *base, socket: *socket, agentHost: ahost, agentPort: aport,
		agentInter: *inter, checkInter: *check, read: *read, maxconn: *maxconn, liveness: *liveness,
	})
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
	base, maxconn                                              int
	read, liveness                                             bool
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
    default-server check inter %s fall 2 rise %d agent-check agent-addr %s agent-port %s agent-inter %s on-marked-down shutdown-sessions
`, o.agentHost, o.agentPort, liveNote, o.maxconn, o.socket, o.checkInter, rise, o.agentHost, o.agentPort, o.agentInter)
	for k, m := range ms {
		servers := append([]sentinel.Addr{m.Addr}, m.KnownReplicas...)
		fmt.Fprintf(w, "\nfrontend %s\n    bind %s:%d\n    default_backend %s\n", m.Name, o.bind, o.base+k, m.Name)
		fmt.Fprintf(w, "\nbackend %s\n", m.Name)
		writeLivenessCheck(w, o)
		for _, a := range servers {
			fmt.Fprintf(w, "    server %s %s agent-send \"%s %s\\n\"\n", serverName(a), a.String(), m.Name, a.String())
		}
		if o.read {
			fmt.Fprintf(w, "\nfrontend %s_read\n    bind %s:%d\n    default_backend %s_read\n", m.Name, o.bind, o.base+100+k, m.Name)
			fmt.Fprintf(w, "\nbackend %s_read\n    balance roundrobin\n", m.Name)
			writeLivenessCheck(w, o)
			for _, a := range servers {
				fmt.Fprintf(w, "    server %s %s agent-send \"%s %s read\\n\"\n", serverName(a), a.String(), m.Name, a.String())
			}
		}
	}
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
