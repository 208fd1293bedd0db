package simredis

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// connKey names a client connection: the sending endpoint, its
// incarnation and the connection name it chose (a sentinel's "cmd" and
// "pubsub" links).
type connKey struct {
	from string
	inc  uint64
	conn string
}

// conn is the per-connection state redis keeps: MULTI and subscriptions.
type conn struct {
	name   string // CLIENT SETNAME
	multi  bool
	dirty  bool
	queued [][]string
	subs   map[string]bool
}

// connOf returns the connection, creating it on first use: the model has
// no connect step, a connection exists once it sent something.
func (s *Server) connOf(from string, inc uint64, name string) *conn {
	k := connKey{from, inc, name}
	c := s.conns[k]
	if c == nil {
		c = &conn{subs: map[string]bool{}}
		s.conns[k] = c
	}
	return c
}

// sortedConns lists connections in a fixed order (maps have none).
func (s *Server) sortedConns() []connKey {
	keys := make([]connKey, 0, len(s.conns))
	for k := range s.conns {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareConnKeys)
	return keys
}

func compareConnKeys(a, b connKey) int {
	return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.inc, b.inc), cmp.Compare(a.conn, b.conn))
}

func (c *conn) sortedSubs() []string { return slices.Sorted(maps.Keys(c.subs)) }

// cmdClient is CLIENT SETNAME/GETNAME/KILL/PAUSE/UNPAUSE.
func (s *Server) cmdClient(now time.Time, self *conn, args []string) any {
	switch sub := strings.ToUpper(args[1]); {
	case sub == "SETNAME" && len(args) == 3:
		self.name = args[2]
		return "OK"
	case sub == "GETNAME" && len(args) == 2:
		if self.name == "" {
			return nil
		}
		return self.name
	case sub == "KILL" && len(args) == 4 && strings.EqualFold(args[2], "TYPE"):
		return s.clientKill(self, strings.ToLower(args[3]))
	case sub == "PAUSE" && (len(args) == 3 || len(args) == 4):
		ms, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil || ms < 0 {
			return sim.RedisError("ERR timeout is not an integer or out of range")
		}
		if len(args) == 4 && !strings.EqualFold(args[3], "WRITE") && !strings.EqualFold(args[3], "ALL") {
			return errSyntax
		}
		// The model pauses only writes; ALL would also hold the
		// sentinel's own commands, which it does not model.
		s.pauseUntil = now.Add(time.Duration(ms) * time.Millisecond)
		return "OK"
	case sub == "UNPAUSE" && len(args) == 2:
		s.pauseUntil = time.Time{}
		return "OK"
	}
	return sim.RedisError("ERR unknown subcommand or wrong number of arguments for '" + args[1] + "'. Try CLIENT HELP.")
}

// clientKill closes every connection of the type but the caller's own
// (redis's SKIPME yes default) and tells their owners.
func (s *Server) clientKill(self *conn, typ string) any {
	var pubsub bool
	switch typ {
	case "normal":
	case "pubsub":
		pubsub = true
	case "master", "replica", "slave":
		return int64(0) // replication links are not client connections here
	default:
		return sim.RedisError("ERR Unknown client type '" + typ + "'")
	}
	n := int64(0)
	for _, k := range s.sortedConns() {
		c := s.conns[k]
		if c == self || (len(c.subs) > 0) != pubsub {
			continue
		}
		delete(s.conns, k)
		s.ep.Send(k.from, sim.Closed{Conn: k.conn, Reason: "CLIENT KILL TYPE " + typ, Inc: k.inc})
		n++
	}
	return n
}
