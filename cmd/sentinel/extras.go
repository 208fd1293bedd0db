package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// extras are our own options, beyond redis-sentinel's.
type extras struct {
	gossip  sentinelconf.Gossip
	agent   sentinelconf.AgentCheck
	hooks   sentinelconf.Hooks
	metrics string
}

// extraArgs takes our own --gossip-*, --agent-check-* and --haproxy-socket
// options out of the command line that follows a .conf path; everything
// else is redis-sentinel's and goes to the config parser. A .conf file
// itself stays loadable by redis-sentinel.
func extraArgs(args []string) ([]string, extras, error) {
	var x extras
	g := &x.gossip
	var rest []string
	for i := 0; i < len(args); i++ {
		name := strings.ToLower(args[i])
		switch name {
		case "--gossip-bind", "--gossip-advertise", "--gossip-join", "--gossip-key",
			"--agent-check", "--agent-check-down-word", "--agent-check-max-lag", "--haproxy-socket", "--hooks", "--metrics":
		default:
			rest = append(rest, args[i])
			continue
		}
		if i+1 >= len(args) {
			return nil, x, fmt.Errorf("%s needs a value", args[i])
		}
		v := args[i+1]
		i++
		switch name {
		case "--agent-check":
			x.agent.Addr = v
		case "--agent-check-down-word":
			x.agent.DownWord = v
		case "--agent-check-max-lag":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, x, fmt.Errorf("--agent-check-max-lag: %q is not a byte count", v)
			}
			x.agent.MaxLag = n
		case "--haproxy-socket":
			x.agent.HAProxySocket = v
		case "--metrics":
			x.metrics = v
		case "--hooks":
			h, err := sentinelconf.LoadHooks(v)
			if err != nil {
				return nil, x, err
			}
			x.hooks = h
		case "--gossip-bind":
			g.Bind = v
		case "--gossip-advertise":
			g.Advertise = v
		case "--gossip-join":
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					g.Join = append(g.Join, p)
				}
			}
		case "--gossip-key":
			g.Key = v
		}
	}
	return rest, x, nil
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
