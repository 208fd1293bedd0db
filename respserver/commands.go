package respserver

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/glob"
)

// handler answers one request. args[0] is the command name as sent. It
// returns true when the connection must close after the reply.
type handler func(s *Server, c *client, args [][]byte) bool

type command struct {
	name  string
	arity int // redis convention: n exact, -n at least n
	// noAuth commands run before authentication (AUTH, HELLO).
	noAuth bool
	// pubsub commands are allowed to a RESP2 client in subscribed mode.
	pubsub bool
	run    handler
	subs   map[string]subcommand
	// fullnames holds "command|sub" per subcommand, as CLIENT LIST shows
	// it, so that naming the running command allocates nothing.
	fullnames map[string]string
	// acl is the command in redis-sentinel's table, which ACL rules name,
	// and subACL its subcommands there (attachACL).
	acl    *acl.Command
	subACL map[string]*acl.Command
}

type subcommand struct {
	arity int
	run   handler
}

// newerForms admit argument counts a newer server takes beyond 7.0's
// arity (SENTINEL FAILOVER <name> COORDINATED is Valkey 9's): any other
// count gets 7.0's arity error at 7.0's moment, before authentication and
// the subscribed-mode check.
var newerForms = map[string]func(args [][]byte) bool{
	"sentinel|failover": isCoordinated,
}

func arityOK(arity, n int) bool {
	if arity >= 0 {
		return n == arity
	}
	return n >= -arity
}

// buildTable is redis-sentinel 7.0's command table: exactly these 15
// commands, with their arities.
func buildTable() map[string]*command {
	cmds := []*command{
		{name: "ping", arity: -1, pubsub: true, run: cmdPing},
		{name: "sentinel", arity: -2, run: nil, subs: sentinelSubcommands()},
		{name: "subscribe", arity: -2, pubsub: true, run: cmdSubscribe},
		{name: "unsubscribe", arity: -1, pubsub: true, run: cmdUnsubscribe},
		{name: "psubscribe", arity: -2, pubsub: true, run: cmdPsubscribe},
		{name: "punsubscribe", arity: -1, pubsub: true, run: cmdPunsubscribe},
		{name: "publish", arity: 3, run: cmdPublish},
		{name: "info", arity: -1, run: cmdInfo},
		{name: "role", arity: 1, run: cmdRole},
		{name: "client", arity: -2, subs: clientSubcommands()},
		{name: "shutdown", arity: -1, run: cmdShutdown},
		{name: "auth", arity: -2, noAuth: true, run: cmdAuth},
		{name: "hello", arity: -1, noAuth: true, run: cmdHello},
		{name: "acl", arity: -2, subs: aclSubcommands()},
		{name: "command", arity: -1, run: cmdCommand, subs: commandSubcommands()},
	}
	t := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		if c.subs != nil {
			c.fullnames = make(map[string]string, len(c.subs))
			for k := range c.subs {
				c.fullnames[k] = c.name + "|" + k
			}
		}
		t[c.name] = c
	}
	return t
}

// execute runs one request under the client's write lock.
func (s *Server) execute(c *client, args [][]byte) bool {
	s.stats.commands.Add(1)
	// Lower-cased into the client's scratch buffer: looking names up
	// allocates nothing on the hot path.
	c.lower = appendLower(c.lower[:0], args[0])
	cmd := s.cmdTable[string(c.lower)]
	var fullname string
	var run handler
	var aclCmd *acl.Command
	arity := 0
	if cmd == nil {
		fullname = strings.ToLower(string(args[0]))
	} else {
		fullname = cmd.name
		run, arity, aclCmd = cmd.run, cmd.arity, cmd.acl
		if cmd.subs != nil && len(args) >= 2 {
			c.lower = appendLower(c.lower[:0], args[1])
			if sc, ok := cmd.subs[string(c.lower)]; ok {
				run, arity, aclCmd = sc.run, sc.arity, cmd.subACL[string(c.lower)]
				fullname = cmd.fullnames[string(c.lower)]
				if f := newerForms[fullname]; f != nil && f(args) {
					arity = len(args)
				}
			} else if cmd.run == nil || cmd.name == "command" {
				c.setLast(fullname)
				return s.reject(c, fmt.Sprintf("ERR unknown subcommand '%.128s'. Try %s HELP.", sanitize(string(cBytes(args[1]))), strings.ToUpper(string(args[0]))))
			}
		}
	}
	c.setLast(fullname)
	if cmd == nil {
		return s.reject(c, unknownCommand(args))
	}
	// redis 7.0 checks arity before authentication.
	if !arityOK(arity, len(args)) {
		return s.reject(c, fmt.Sprintf("ERR wrong number of arguments for '%s' command", fullname))
	}
	if !c.isAuthed() && !cmd.noAuth {
		return s.reject(c, "NOAUTH Authentication required.")
	}
	if !s.checkACL(c, aclCmd, args) {
		return false
	}
	if c.w.proto == 2 && c.subscribed.Load() && !cmd.pubsub {
		return s.reject(c, fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", fullname))
	}
	// CLIENT PAUSE holds a command here, after the checks that reject it,
	// where redis's processCommand postpones it.
	if !s.waitPause(c, cmd.name == "publish") {
		return true
	}
	return run(s, c, args)
}

// appendLower appends b with ASCII letters lower-cased (command and
// subcommand names are ASCII; anything else matches no name either way).
func appendLower(dst, b []byte) []byte {
	for _, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

func (s *Server) reject(c *client, msg string) bool {
	s.stats.errors.Add(1)
	c.w.err(msg)
	return false
}

// unknownCommand is redis's text, including its quirks: the name as sent,
// each argument quoted and followed by a space, at most ~128 bytes of them,
// each cut at its first NUL byte (redis formats them with %s).
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	for i := 1; i < len(args) && b.Len() < 128; i++ {
		a := cBytes(args[i])
		if room := 128 - b.Len(); len(a) > room {
			a = a[:room]
		}
		b.WriteString("'" + sanitize(string(a)) + "' ")
	}
	name := string(cBytes(args[0]))
	if len(name) > 128 {
		name = name[:128]
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", sanitize(name), b.String())
}

// cBytes is b as C's printf sees it: up to the first NUL.
func cBytes(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func sanitize(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func (c *client) setLast(name string) {
	c.mu.Lock()
	c.lastCmd = name
	c.lastTime = time.Now()
	c.mu.Unlock()
}

func cmdPing(s *Server, c *client, args [][]byte) bool {
	if len(args) > 2 {
		return s.reject(c, "ERR wrong number of arguments for 'ping' command")
	}
	if c.w.proto == 2 && c.subscribed.Load() {
		c.w.array(2)
		c.w.bulk("pong")
		if len(args) == 2 {
			c.w.bulkBytes(args[1])
		} else {
			c.w.bulk("")
		}
		return false
	}
	if len(args) == 2 {
		c.w.bulkBytes(args[1])
	} else {
		c.w.simple("PONG")
	}
	return false
}

func cmdRole(s *Server, c *client, args [][]byte) bool {
	names := s.backend.MasterNames()
	c.w.array(2)
	c.w.bulk("sentinel")
	c.w.array(len(names))
	for _, n := range names {
		c.w.bulk(n)
	}
	return false
}

func cmdPublish(s *Server, c *client, args [][]byte) bool {
	if string(args[1]) != helloChannel {
		return s.reject(c, "ERR Only HELLO messages are accepted by Sentinel instances.")
	}
	s.backend.ProcessHello(args[2])
	c.w.integer(1)
	return false
}

const helloChannel = "__sentinel__:hello"

func cmdShutdown(s *Server, c *client, args [][]byte) bool {
	// Options as redis 7.0 parses them; a sentinel has nothing to save, so
	// they only need to be valid.
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave", "save", "now", "force":
		case "abort":
			return s.reject(c, "ERR No shutdown in progress.")
		default:
			return s.reject(c, "ERR syntax error")
		}
	}
	s.logger.Warn("User requested shutdown...")
	s.requestShutdown()
	return true
}

// matchAny is used by pub/sub delivery.
func globMatch(pattern, s string) bool { return glob.Match(pattern, s) }
