package respserver

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// user is the part of a redis ACL user a sentinel needs: whether it may log
// in and with which passwords. Command permissions are not enforced; a
// sentinel's commands are all administrative.
type user struct {
	name    string
	enabled bool
	nopass  bool
	hashes  map[string]bool // sha256 hex of each password
	rules   []string        // as configured, for ACL LIST
}

type userTable struct {
	users map[string]*user
	order []string
}

// newUserTable applies requirepass to the default user, then the "user"
// directives, which win over requirepass as they do in redis.
func newUserTable(requirepass string, lines []string) *userTable {
	t := &userTable{users: map[string]*user{}}
	def := t.get("default")
	def.enabled, def.nopass = true, requirepass == ""
	def.rules = []string{"on", "nopass", "~*", "&*", "+@all"}
	if requirepass != "" {
		def.hashes[hashPass(requirepass)] = true
		def.rules = []string{"on", "#" + hashPass(requirepass), "~*", "&*", "+@all"}
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) > 0 && strings.EqualFold(f[0], "user") {
			f = f[1:]
		}
		if len(f) == 0 {
			continue
		}
		u := t.get(f[0])
		u.rules = f[1:]
		if f[0] == "default" {
			// "user default ..." starts from a reset user, as in redis.
			u.enabled, u.nopass, u.hashes = false, false, map[string]bool{}
		}
		for _, r := range f[1:] {
			switch {
			case r == "on":
				u.enabled = true
			case r == "off":
				u.enabled = false
			case r == "nopass":
				u.nopass, u.hashes = true, map[string]bool{}
			case r == "resetpass" || r == "reset":
				u.nopass, u.hashes = false, map[string]bool{}
			case strings.HasPrefix(r, ">"):
				u.hashes[hashPass(r[1:])] = true
				u.nopass = false
			case strings.HasPrefix(r, "#"):
				u.hashes[strings.ToLower(r[1:])] = true
				u.nopass = false
			case strings.HasPrefix(r, "<"):
				delete(u.hashes, hashPass(r[1:]))
			}
		}
	}
	return t
}

func (t *userTable) get(name string) *user {
	if u, ok := t.users[name]; ok {
		return u
	}
	u := &user{name: name, hashes: map[string]bool{}}
	t.users[name] = u
	t.order = append(t.order, name)
	return u
}

func hashPass(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

// defaultOpen reports whether new connections start authenticated.
func (t *userTable) defaultOpen() bool {
	u := t.users["default"]
	return u.enabled && u.nopass
}

func (t *userTable) check(name, pass string) bool {
	u, ok := t.users[name]
	if !ok || !u.enabled {
		return false
	}
	if u.nopass {
		return true
	}
	h := hashPass(pass)
	ok = false
	for known := range u.hashes {
		if subtle.ConstantTimeCompare([]byte(known), []byte(h)) == 1 {
			ok = true
		}
	}
	return ok
}

const wrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(s *Server, c *client, args [][]byte) bool {
	if len(args) > 3 {
		return s.reject(c, "ERR syntax error")
	}
	name, pass := "default", string(args[1])
	if len(args) == 3 {
		name, pass = string(args[1]), string(args[2])
	} else if def := s.users.users["default"]; def.nopass {
		return s.reject(c, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !s.users.check(name, pass) {
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
			if !s.users.check(userName, string(args[j+2])) {
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

func aclSubcommands() map[string]subcommand {
	return map[string]subcommand{
		"whoami": {2, func(s *Server, c *client, args [][]byte) bool {
			c.mu.Lock()
			u := c.user
			c.mu.Unlock()
			c.w.bulk(u)
			return false
		}},
		"users": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.array(len(s.users.order))
			for _, n := range s.users.order {
				c.w.bulk(n)
			}
			return false
		}},
		"list": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.array(len(s.users.order))
			for _, n := range s.users.order {
				c.w.bulk("user " + n + " " + strings.Join(s.users.users[n].rules, " "))
			}
			return false
		}},
		"genpass": {-2, func(s *Server, c *client, args [][]byte) bool {
			bits := 256
			if len(args) > 2 {
				b, err := strconv.Atoi(string(args[2]))
				if err != nil || b <= 0 || b > 4096 {
					return s.reject(c, "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
				}
				bits = b
			}
			buf := make([]byte, (bits+7)/8)
			rand.Read(buf)
			c.w.bulk(hex.EncodeToString(buf)[:(bits+3)/4])
			return false
		}},
		"help": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.statusLines(splitLines(helpACL))
			return false
		}},
		"load":    {2, aclReadOnly},
		"save":    {2, aclReadOnly},
		"setuser": {-3, aclReadOnly},
		"deluser": {-3, aclReadOnly},
		"getuser": {3, aclReadOnly},
		"log":     {-2, aclReadOnly},
		"cat":     {-2, aclReadOnly},
		"dryrun":  {-4, aclReadOnly},
	}
}

// aclReadOnly: users come from the config file; changing them at run time
// is not supported (redis-sentinel's ACL rewrite is rarely used and easy to
// get wrong).
func aclReadOnly(s *Server, c *client, args [][]byte) bool {
	return s.reject(c, fmt.Sprintf("ERR ACL %s is not supported by this sentinel; configure users in the config file", strings.ToUpper(string(args[1]))))
}
