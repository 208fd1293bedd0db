package respserver

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func clientSubcommands() map[string]subcommand {
	return map[string]subcommand{
		"id": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.integer(c.id)
			return false
		}},
		"getname": {2, func(s *Server, c *client, args [][]byte) bool {
			c.mu.Lock()
			n := c.name
			c.mu.Unlock()
			if n == "" {
				c.w.nullBulk()
			} else {
				c.w.bulk(n)
			}
			return false
		}},
		"setname": {3, func(s *Server, c *client, args [][]byte) bool {
			name := string(args[2])
			if msg := validClientName(name); msg != "" {
				return s.reject(c, msg)
			}
			c.mu.Lock()
			c.name = name
			c.mu.Unlock()
			c.w.ok()
			return false
		}},
		"info": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.bulk(s.describeClient(c))
			return false
		}},
		"list": {-2, clientList},
		"kill": {-3, clientKill},
		"help": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.statusLines(splitLines(helpClient))
			return false
		}},
		"reply": {3, func(s *Server, c *client, args [][]byte) bool {
			switch strings.ToLower(string(args[2])) {
			case "on":
				c.w.ok()
			case "off", "skip":
				// Replies are always sent; the flag exists for bulk loaders,
				// never for sentinel clients.
				c.w.ok()
			default:
				return s.reject(c, "ERR syntax error")
			}
			return false
		}},
		"no-evict": {3, clientOnOff},
		"getredir": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.integer(-1)
			return false
		}},
		"trackinginfo": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.mapLen(3)
			c.w.bulk("flags")
			c.w.setLen(1)
			c.w.bulk("off")
			c.w.bulk("redirect")
			c.w.integer(-1)
			c.w.bulk("prefixes")
			c.w.array(0)
			return false
		}},
		"pause":    {-3, clientUnsupported},
		"unpause":  {2, func(s *Server, c *client, args [][]byte) bool { c.w.ok(); return false }},
		"unblock":  {-3, func(s *Server, c *client, args [][]byte) bool { c.w.integer(0); return false }},
		"tracking": {-3, clientUnsupported},
		"caching":  {3, clientUnsupported},
	}
}

func clientOnOff(s *Server, c *client, args [][]byte) bool {
	switch strings.ToLower(string(args[2])) {
	case "on", "off":
		c.w.ok()
		return false
	}
	return s.reject(c, "ERR syntax error")
}

func clientUnsupported(s *Server, c *client, args [][]byte) bool {
	return s.reject(c, fmt.Sprintf("ERR CLIENT %s is not supported by this sentinel", strings.ToUpper(string(args[1]))))
}

// validClientName is redis's rule: printable ASCII without spaces.
func validClientName(n string) string {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return "ERR Client names cannot contain spaces, newlines or special characters."
		}
	}
	return ""
}

// describeClient is one CLIENT LIST line in redis 7.0's field order. Memory
// figures are what we actually hold, not redis's allocator numbers.
func (s *Server) describeClient(c *client) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	flags := "N"
	if len(c.channels)+len(c.patterns) > 0 {
		flags = "P"
	}
	now := time.Now()
	laddr := c.conn.LocalAddr().String()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=%s redir=-1 resp=%d\n",
		c.id, c.conn.RemoteAddr().String(), laddr, c.id+7, c.name,
		int(now.Sub(c.created).Seconds()), int(now.Sub(c.lastTime).Seconds()), flags,
		len(c.channels), len(c.patterns), c.lastCmd, c.user, c.resp.Load())
}

func clientList(s *Server, c *client, args [][]byte) bool {
	var ids map[int64]bool
	typ := ""
	for i := 2; i < len(args); i++ {
		switch opt := strings.ToLower(string(args[i])); {
		case opt == "type" && i+1 < len(args):
			typ = strings.ToLower(string(args[i+1]))
			switch typ {
			case "normal", "pubsub", "master", "replica", "slave":
			default:
				return s.reject(c, fmt.Sprintf("ERR Unknown client type '%s'", sanitize(string(args[i+1]))))
			}
			i++
		case opt == "id" && i+1 < len(args):
			ids = map[int64]bool{}
			for i++; i < len(args); i++ {
				id, err := strconv.ParseInt(string(args[i]), 10, 64)
				if err != nil || id <= 0 {
					return s.reject(c, "ERR Invalid client ID")
				}
				ids[id] = true
			}
		default:
			return s.reject(c, "ERR syntax error")
		}
	}
	var b strings.Builder
	for _, cl := range s.clientList() {
		if ids != nil && !ids[cl.id] {
			continue
		}
		if typ != "" && cl.kind() != typ {
			continue
		}
		b.WriteString(s.describeClient(cl))
	}
	c.w.bulk(b.String())
	return false
}

func (c *client) kind() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.channels)+len(c.patterns) > 0 {
		return "pubsub"
	}
	return "normal"
}

func clientKill(s *Server, c *client, args [][]byte) bool {
	if len(args) == 3 {
		addr := string(args[2])
		for _, cl := range s.clientList() {
			if cl.conn.RemoteAddr().String() == addr {
				c.w.ok()
				s.killClient(c, cl)
				return cl == c
			}
		}
		return s.reject(c, "ERR No such client")
	}
	if len(args)%2 != 0 {
		return s.reject(c, "ERR syntax error")
	}
	var (
		id          int64
		addr, laddr string
		typ, userN  string
		skipMe      = true
		maxAge      int64
	)
	for i := 2; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return s.reject(c, "ERR client-id should be greater than 0")
			}
			id = n
		case "type":
			typ = strings.ToLower(v)
			switch typ {
			case "normal", "pubsub", "master", "replica", "slave":
			default:
				return s.reject(c, fmt.Sprintf("ERR Unknown client type '%s'", sanitize(v)))
			}
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "user":
			if s.acl.User(v) == nil {
				return s.reject(c, fmt.Sprintf("ERR No such user '%s'", sanitize(v)))
			}
			userN = v
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				return s.reject(c, "ERR syntax error")
			}
		case "maxage":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return s.reject(c, "ERR syntax error")
			}
			maxAge = n
		default:
			return s.reject(c, "ERR syntax error")
		}
	}
	killed, self := 0, false
	for _, cl := range s.clientList() {
		if id != 0 && cl.id != id ||
			addr != "" && cl.conn.RemoteAddr().String() != addr ||
			laddr != "" && cl.conn.LocalAddr().String() != laddr ||
			typ != "" && cl.kind() != typ ||
			skipMe && cl == c ||
			maxAge != 0 && time.Since(cl.created) < time.Duration(maxAge)*time.Second {
			continue
		}
		if userN != "" {
			cl.mu.Lock()
			u := cl.user
			cl.mu.Unlock()
			if u != userN {
				continue
			}
		}
		killed++
		if cl == c {
			self = true
			continue
		}
		s.killClient(c, cl)
	}
	c.w.integer(int64(killed))
	return self
}

func (s *Server) killClient(by, target *client) {
	if target != by {
		target.close()
	}
}
