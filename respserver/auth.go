package respserver

import (
	"fmt"
	"strings"
)

const wrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(s *Server, c *client, args [][]byte) bool {
	if len(args) > 3 {
		return s.reject(c, "ERR syntax error")
	}
	name, pass := "default", string(args[1])
	if len(args) == 3 {
		name, pass = string(args[1]), string(args[2])
	} else if def := s.acl.User("default"); def.Nopass() {
		return s.reject(c, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !s.acl.Authenticate(name, pass) {
		s.logAuthFailure(c, args[0], name)
		c.authFailed = true
		return s.reject(c, wrongPass)
	}
	c.mu.Lock()
	c.authed, c.user = true, name
	c.mu.Unlock()
	c.w.ok()
	return false
}

func cmdHello(s *Server, c *client, args [][]byte) bool {
	ver := 0
	if len(args) >= 2 {
		// Read like redis's string2ll: "+2", "02" and "-0" are not integers.
		v, ok := string2ll(args[1])
		if !ok {
			return s.reject(c, "ERR Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return s.reject(c, "NOPROTO unsupported protocol version")
		}
		ver = int(v)
	}
	// Options act in the order given, as in redis 7.0: AUTH authenticates
	// (or fails) at once and SETNAME names the client at once, before the
	// NOAUTH check, so a bad name is reported even to a client that is
	// not authenticated.
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "auth" && more >= 2:
			userName := string(args[j+1])
			if !s.acl.Authenticate(userName, string(args[j+2])) {
				s.logAuthFailure(c, args[0], userName)
				c.authFailed = true
				return s.reject(c, wrongPass)
			}
			c.mu.Lock()
			c.authed, c.user = true, userName
			c.mu.Unlock()
			j += 2
		case opt == "setname" && more >= 1:
			if msg := validClientName(string(args[j+1])); msg != "" {
				return s.reject(c, msg)
			}
			c.mu.Lock()
			c.name = string(args[j+1])
			c.mu.Unlock()
			j++
		default:
			return s.reject(c, fmt.Sprintf("ERR Syntax error in HELLO option '%s'", sanitize(string(args[j]))))
		}
	}
	if !c.isAuthed() {
		// redis 7.0's text; 7.2 says "HELLO <proto> AUTH".
		return s.reject(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if ver != 0 {
		c.w.proto = ver
		c.resp.Store(int32(ver))
	}
	c.w.mapLen(6)
	c.w.bulk("server")
	c.w.bulk("redis")
	c.w.bulk("version")
	c.w.bulk(redisVersion)
	c.w.bulk("proto")
	c.w.integer(int64(c.w.proto))
	c.w.bulk("id")
	c.w.integer(c.id)
	c.w.bulk("mode")
	c.w.bulk("sentinel")
	c.w.bulk("modules")
	c.w.array(0)
	return false
}

// redisVersion is the redis-sentinel version we answer as; clients pick
// features by it.
const redisVersion = "7.0.15"
