package main

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// gossipArgs takes our own --gossip-* options out of the command line that
// follows a .conf path; everything else is redis-sentinel's and goes to the
// config parser. A .conf file itself stays loadable by redis-sentinel.
func gossipArgs(args []string) ([]string, sentinelconf.Gossip, error) {
	var g sentinelconf.Gossip
	var rest []string
	for i := 0; i < len(args); i++ {
		name := strings.ToLower(args[i])
		switch name {
		case "--gossip-bind", "--gossip-advertise", "--gossip-join", "--gossip-key":
		default:
			rest = append(rest, args[i])
			continue
		}
		if i+1 >= len(args) {
			return nil, g, fmt.Errorf("%s needs a value", args[i])
		}
		v := args[i+1]
		i++
		switch name {
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
	return rest, g, nil
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
