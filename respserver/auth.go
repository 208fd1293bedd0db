package respserver

import (
	"fmt"
	"strconv"
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
		v, err := strconv.ParseInt(string(args[1]), 10, 64)
		if err != nil {
			return s.reject(c, "ERR Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return s.reject(c, "NOPROTO unsupported protocol version")
		}
		ver = int(v)
	}
	var userName, pass, clientName string
	var hasAuth, hasName bool
	for j := 2; j < len(args); j++ {
		more := len(args) - 1 - j
		opt := strings.ToLower(string(args[j]))
		switch {
		case opt == "auth" && more >= 2:
			userName, pass, hasAuth = string(args[j+1]), string(args[j+2]), true
			j += 2
		case opt == "setname" && more >= 1:
			clientName, hasName = string(args[j+1]), true
			j++
		default:
			return s.reject(c, fmt.Sprintf("ERR Syntax error in HELLO option '%s'", sanitize(string(args[j]))))
		}
	}
	if hasAuth {
		if !s.acl.Authenticate(userName, pass) {
			s.logAuthFailure(c, args[0], userName)
			return s.reject(c, wrongPass)
		}
		c.mu.Lock()
		c.authed, c.user = true, userName
		c.mu.Unlock()
	}
	if !c.isAuthed() {
		return s.reject(c, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
	}
	if hasName {
		if msg := validClientName(clientName); msg != "" {
			return s.reject(c, msg)
		}
		c.mu.Lock()
		c.name = clientName
		c.mu.Unlock()
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
