package respserver

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// tracking is a client's CLIENT TRACKING state. A sentinel holds no keys,
// so no invalidation is ever sent; the state is kept only so that CLIENT
// TRACKING, CACHING, GETREDIR, TRACKINGINFO and CLIENT LIST answer what
// redis-sentinel 7.0 answers. Guarded by the client's mu.
type tracking struct {
	on, bcast, optin, optout, noloop bool
	redirect                         int64
	prefixes                         []string // BCAST prefixes, sorted bytewise (redis keeps a rax)
}

// clientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST]
// [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP], with redis 7.0's checks in its
// order.
func clientTracking(s *Server, c *client, args [][]byte) bool {
	var redir int64
	var bcast, optin, optout, noloop bool
	var prefixes []string
	for j := 3; j < len(args); j++ {
		more := len(args) - 1 - j
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "redirect" && more > 0:
			j++
			if redir != 0 {
				return s.reject(c, "ERR A client can only redirect to a single other client")
			}
			n, ok := string2ll(args[j])
			if !ok {
				return s.reject(c, "ERR value is not an integer or out of range")
			}
			redir = n
			if s.clientByID(redir) == nil {
				return s.reject(c, "ERR The client ID you want redirect to does not exist")
			}
		case opt == "bcast":
			bcast = true
		case opt == "optin":
			optin = true
		case opt == "optout":
			optout = true
		case opt == "noloop":
			noloop = true
		case opt == "prefix" && more > 0:
			j++
			prefixes = append(prefixes, string(args[j]))
		default:
			return s.reject(c, "ERR syntax error")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.track
	switch strings.ToLower(string(args[2])) {
	case "on":
		switch {
		case !bcast && len(prefixes) > 0:
			return s.reject(c, "ERR PREFIX option requires BCAST mode to be enabled")
		case t.on && t.bcast != bcast:
			return s.reject(c, "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		case bcast && (optin || optout):
			return s.reject(c, "ERR OPTIN and OPTOUT are not compatible with BCAST")
		case optin && optout:
			return s.reject(c, "ERR You can't specify both OPTIN mode and OPTOUT mode")
		case optin && t.optout || optout && t.optin:
			return s.reject(c, "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		}
		if bcast {
			if msg := prefixCollision(t.prefixes, prefixes); msg != "" {
				return s.reject(c, msg)
			}
		}
		t.on, t.bcast, t.optin, t.optout, t.noloop = true, bcast, optin, optout, noloop
		t.redirect = redir
		if bcast {
			if len(prefixes) == 0 {
				prefixes = []string{""}
			}
			for _, p := range prefixes {
				if !slices.Contains(t.prefixes, p) {
					t.prefixes = append(t.prefixes, p)
				}
			}
			sort.Strings(t.prefixes)
		}
	case "off":
		c.track = tracking{}
		c.caching = false
	default:
		return s.reject(c, "ERR syntax error")
	}
	c.w.ok()
	return false
}

// prefixCollision is checkPrefixCollisionsOrReply: no new prefix may be a
// prefix of (or have as prefix) an existing one or another new one.
func prefixCollision(have, add []string) string {
	overlap := func(a, b string) bool {
		return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
	}
	for i, p := range add {
		for _, h := range have {
			if overlap(h, p) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap.", p, h)
			}
		}
		for _, q := range add[i+1:] {
			if overlap(p, q) {
				return fmt.Sprintf("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not overlap.", p, q)
			}
		}
	}
	return ""
}

// clientCaching is CLIENT CACHING YES|NO.
func clientCaching(s *Server, c *client, args [][]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &c.track
	if !t.on {
		return s.reject(c, "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !t.optin {
			return s.reject(c, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
		}
	case "no":
		if !t.optout {
			return s.reject(c, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
		}
	default:
		return s.reject(c, "ERR syntax error")
	}
	c.caching = true
	c.w.ok()
	return false
}

func clientGetRedir(s *Server, c *client, args [][]byte) bool {
	c.mu.Lock()
	r := int64(-1)
	if c.track.on {
		r = c.track.redirect
	}
	c.mu.Unlock()
	c.w.integer(r)
	return false
}

// clientTrackingInfo is CLIENT TRACKINGINFO in redis 7.0's layout.
func clientTrackingInfo(s *Server, c *client, args [][]byte) bool {
	c.mu.Lock()
	t := c.track
	c.mu.Unlock()
	caching := c.caching
	flags := []string{"off"}
	if t.on {
		flags[0] = "on"
	}
	if t.bcast {
		flags = append(flags, "bcast")
	}
	if t.optin {
		flags = append(flags, "optin")
		if caching {
			flags = append(flags, "caching-yes")
		}
	}
	if t.optout {
		flags = append(flags, "optout")
		if caching {
			flags = append(flags, "caching-no")
		}
	}
	if t.noloop {
		flags = append(flags, "noloop")
	}
	c.w.mapLen(3)
	c.w.bulk("flags")
	c.w.setLen(len(flags))
	for _, f := range flags {
		c.w.bulk(f)
	}
	c.w.bulk("redirect")
	if t.on {
		c.w.integer(t.redirect)
	} else {
		c.w.integer(-1)
	}
	c.w.bulk("prefixes")
	c.w.array(len(t.prefixes))
	for _, p := range t.prefixes {
		c.w.bulk(p)
	}
	return false
}
