package respserver

import (
	"fmt"
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
			c.w.verbatim(s.describeClient(c))
			return false
		}},
		"list": {-2, clientList},
		"kill": {-3, clientKill},
		"help": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.statusLines(splitLines(helpClient))
			return false
		}},
		"reply":        {3, clientReply},
		"no-evict":     {3, clientNoEvict},
		"getredir":     {2, clientGetRedir},
		"trackinginfo": {2, clientTrackingInfo},
		"pause":        {-3, clientPause},
		"unpause":      {2, clientUnpause},
		"unblock":      {-3, clientUnblock},
		"tracking":     {-3, clientTracking},
		"caching":      {3, clientCaching},
	}
}

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]. Nothing blocks in a
// sentinel (a command held by CLIENT PAUSE is not unblockable), so it
// answers 0 once the arguments are valid, checked in redis 7.0's order.
func clientUnblock(s *Server, c *client, args [][]byte) bool {
	if len(args) > 4 {
		return s.reject(c, subcommandSyntax(args))
	}
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout", "error":
		default:
			return s.reject(c, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		}
	}
	if _, ok := string2ll(args[2]); !ok {
		return s.reject(c, "ERR value is not an integer or out of range")
	}
	c.w.integer(0)
	return false
}

func clientNoEvict(s *Server, c *client, args [][]byte) bool {
	var on bool
	switch strings.ToLower(string(args[2])) {
	case "on":
		on = true
	case "off":
	default:
		return s.reject(c, "ERR syntax error")
	}
	c.mu.Lock()
	c.noEvict = on
	c.mu.Unlock()
	c.w.ok()
	return false
}

// clientReply is CLIENT REPLY ON|OFF|SKIP as redis 7.0 keeps it: OFF
// and SKIP answer nothing, SKIP is ignored while OFF, ON answers OK.
func clientReply(s *Server, c *client, args [][]byte) bool {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.replyOff, c.replySkip, c.replySkipNext = false, false, false
		c.w.w = c.out
		c.w.ok()
	case "off":
		c.replyOff = true
	case "skip":
		if !c.replyOff {
			c.replySkipNext = true
		}
	default:
		return s.reject(c, "ERR syntax error")
	}
	return false
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
	// redis 7.0's flag letters in its order; those that cannot happen in
	// a sentinel (replication, MULTI, unix sockets) are left out.
	var fl []byte
	if len(c.channels)+len(c.patterns) > 0 {
		fl = append(fl, 'P')
	}
	if c.blocked {
		fl = append(fl, 'b')
	}
	if c.track.on {
		fl = append(fl, 't')
	}
	if c.track.bcast {
		fl = append(fl, 'B')
	}
	if isUnix(c.conn) {
		fl = append(fl, 'U')
	}
	if c.noEvict {
		fl = append(fl, 'e')
	}
	flags := "N"
	if len(fl) > 0 {
		flags = string(fl)
	}
	redir := int64(-1)
	if c.track.on {
		redir = c.track.redirect
	}
	now := time.Now()
	laddr := c.conn.LocalAddr().String()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=%s redir=%d resp=%d\n",
		c.id, c.conn.RemoteAddr().String(), laddr, c.id+7, c.name,
		int(now.Sub(c.created).Seconds()), int(now.Sub(c.lastTime).Seconds()), flags,
		len(c.channels), len(c.patterns), c.lastCmd, c.user, redir, c.resp.Load())
}

// clientList is CLIENT LIST [TYPE type | ID id...], parsed as redis 7.0
// does: TYPE only as the sole option, IDs any integers (unknown ones are
// simply not listed).
func clientList(s *Server, c *client, args [][]byte) bool {
	var ids []int64
	typ := ""
	switch {
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ = strings.ToLower(string(args[3]))
		switch typ {
		case "normal", "pubsub", "master", "replica", "slave":
		default:
			return s.reject(c, fmt.Sprintf("ERR Unknown client type '%s'", sanitize(string(args[3]))))
		}
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		for _, a := range args[3:] {
			id, ok := string2ll(a)
			if !ok {
				return s.reject(c, "ERR Invalid client ID")
			}
			ids = append(ids, id)
		}
	case len(args) != 2:
		return s.reject(c, "ERR syntax error")
	}
	var b strings.Builder
	if ids != nil {
		// In the order asked, once per mention, as redis does.
		for _, id := range ids {
			if cl := s.clientByID(id); cl != nil {
				b.WriteString(s.describeClient(cl))
			}
		}
	} else {
		for _, cl := range s.clientList() {
			if typ != "" && cl.kind() != typ {
				continue
			}
			b.WriteString(s.describeClient(cl))
		}
	}
	c.w.verbatim(b.String())
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

// clientKill is CLIENT KILL addr (old form: may kill the caller, answers
// OK or "No such client") and CLIENT KILL <filter> <value>... with redis
// 7.0's filters: ID, TYPE, ADDR, LADDR, USER, SKIPME (MAXAGE is 7.4's).
func clientKill(s *Server, c *client, args [][]byte) bool {
	var (
		id          int64
		addr, laddr string
		typ, userN  string
		skipMe      = true
	)
	if len(args) == 3 {
		addr, skipMe = string(args[2]), false
	}
	for i := 2; len(args) > 3 && i < len(args); i += 2 {
		if i+1 >= len(args) {
			return s.reject(c, "ERR syntax error")
		}
		v := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := string2ll(args[i+1])
			if !ok || n <= 0 {
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
			skipMe && cl == c {
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
	switch {
	case len(args) != 3:
		c.w.integer(int64(killed))
	case killed == 0:
		return s.reject(c, "ERR No such client")
	default:
		c.w.ok()
	}
	return self
}

func (s *Server) killClient(by, target *client) {
	if target != by {
		target.close()
	}
}
