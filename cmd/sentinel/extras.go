package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// ourOption is one of our own command-line options, beyond
// redis-sentinel's; the table is both what extraArgs reads and what
// --help lists, so no option can be read without being listed.
type ourOption struct {
	name, arg, help string
}

func ourOptions() []ourOption {
	return []ourOption{
		{"agent-check", "host:port", "HAProxy agent-check server (\"<master> <ip>:<port>\\n\"); YAML agent_check_addr"},
		{"agent-check-down-word", "down|maint", "the agent's word for a server that is not the quorum's master; YAML agent_check_down_word"},
		{"agent-check-max-lag", "bytes", "read backends: most replication lag of a replica the agent calls up; YAML agent_check_max_lag"},
		{"haproxy-socket", "path", "push routing changes to HAProxy's runtime API; YAML haproxy_socket"},
		{"metrics", "host:port", "serve Prometheus /metrics and /healthz; YAML metrics_addr"},
		{"hooks", "hooks.yaml", "at-least-once event hooks (the YAML hooks* keys, in a file of their own)"},
		{"gossip-bind", "host:port", "memberlist gossip between our instances; YAML gossip_bind"},
		{"gossip-advertise", "host:port", "the gossip address peers reach us at; YAML gossip_advertise"},
		{"gossip-join", "a:p,b:p", "gossip peers to join; YAML gossip_join"},
		{"gossip-key", "secret", "gossip encryption key (base64 AES key or passphrase); YAML gossip_key"},
	}
}

// extras are our own options, beyond redis-sentinel's.
type extras struct {
	gossip  sentinelconf.Gossip
	agent   sentinelconf.AgentCheck
	hooks   sentinelconf.Hooks
	metrics string
	set     map[string]bool // the options given, by name
}

// isOurOption says whether name (without dashes, lower case) is ours.
func isOurOption(name string) bool {
	for _, o := range ourOptions() {
		if o.name == name {
			return true
		}
	}
	return false
}

// extraArgs takes our own options (ourOptions, as "--name value" or
// "--name=value") out of the command line; everything else is
// redis-sentinel's and goes to the config parser. A .conf file itself
// stays loadable by redis-sentinel.
func extraArgs(args []string) ([]string, extras, error) {
	x := extras{set: map[string]bool{}}
	g := &x.gossip
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		name = strings.ToLower(name)
		if !strings.HasPrefix(arg, "--") || !isOurOption(name) {
			rest = append(rest, arg)
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, x, fmt.Errorf("--%s needs a value", name)
			}
			value = args[i+1]
			i++
		}
		x.set[name] = true
		switch name {
		case "agent-check":
			x.agent.Addr = value
		case "agent-check-down-word":
			x.agent.DownWord = value
		case "agent-check-max-lag":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 {
				return nil, x, fmt.Errorf("--agent-check-max-lag: %q is not a byte count", value)
			}
			x.agent.MaxLag = n
		case "haproxy-socket":
			x.agent.HAProxySocket = value
		case "metrics":
			x.metrics = value
		case "hooks":
			h, err := sentinelconf.LoadHooks(value)
			if err != nil {
				return nil, x, err
			}
			x.hooks = h
		case "gossip-bind":
			g.Bind = value
		case "gossip-advertise":
			g.Advertise = value
		case "gossip-join":
			for _, p := range strings.Split(value, ",") {
				if p = strings.TrimSpace(p); p != "" {
					g.Join = append(g.Join, p)
				}
			}
		case "gossip-key":
			g.Key = value
		}
	}
	return rest, x, nil
}

// apply sets the options given on the command line in f, over what the
// file (YAML) said: the command line wins, as redis's options after the
// file do.
func (x extras) apply(f *sentinelconf.File) {
	for name := range x.set {
		switch name {
		case "agent-check":
			f.AgentCheck.Addr = x.agent.Addr
		case "agent-check-down-word":
			f.AgentCheck.DownWord = x.agent.DownWord
		case "agent-check-max-lag":
			f.AgentCheck.MaxLag = x.agent.MaxLag
		case "haproxy-socket":
			f.AgentCheck.HAProxySocket = x.agent.HAProxySocket
		case "metrics":
			f.MetricsAddr = x.metrics
		case "hooks":
			f.Hooks = x.hooks
		case "gossip-bind":
			f.Gossip.Bind = x.gossip.Bind
		case "gossip-advertise":
			f.Gossip.Advertise = x.gossip.Advertise
		case "gossip-join":
			f.Gossip.Join = x.gossip.Join
		case "gossip-key":
			f.Gossip.Key = x.gossip.Key
		}
	}
}

// ourOptionsHelp is the --help section listing ourOptions.
func ourOptionsHelp() string {
	var b strings.Builder
	for _, o := range ourOptions() {
		fmt.Fprintf(&b, "  --%-30s %s\n", o.name+" "+o.arg, o.help)
	}
	// Read apart (logformat.go), before the others: after a .conf path.
	fmt.Fprintf(&b, "  --%-30s %s\n", "log-format redis|text|json", "after a .conf path: redis's log lines (default), or slog text/JSON; YAML log_format")
	return b.String()
}

// gossipKey turns the configured secret into an AES key: a base64 key of
// 16, 24 or 32 bytes is used as it is (memberlist's own format), any other
// text is hashed to 32 bytes so a passphrase works too.
func gossipKey(s string) []byte {
	if s == "" {
		return nil
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		switch len(b) {
		case 16, 24, 32:
			return b
		}
	}
	h := sha256.Sum256([]byte(s))
	return h[:]
}
