package simredis

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// Error replies with redis 7.0's texts.
var (
	errSyntax     = sim.RedisError("ERR syntax error")
	errNotInteger = sim.RedisError("ERR value is not an integer or out of range")
	errLoading    = sim.RedisError("LOADING Redis is loading the dataset in memory")
	errBusy       = sim.RedisError("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
	errExecAbort  = sim.RedisError("EXECABORT Transaction discarded because of previous errors.")
)

// spec is one command: its arity as redis counts it (n: exactly n words,
// -n: at least n), whether it runs while loading (redis's CMD_LOADING) and
// during a busy script (CMD_ALLOW_BUSY), and its handler.
type spec struct {
	arity     int
	loadingOK bool
	busyOK    bool
	run       func(s *Server, now time.Time, c *conn, args []string) any
}

// commands is built once per server: handlers are method expressions, so
// the table holds no state.
func commandTable() map[string]spec {
	return map[string]spec{
		"PING":      {arity: -1, run: (*Server).cmdPing},
		"INFO":      {arity: -1, loadingOK: true, run: (*Server).cmdInfo},
		"ROLE":      {arity: 1, loadingOK: true, run: func(s *Server, _ time.Time, _ *conn, _ []string) any { return s.role() }},
		"SLAVEOF":   {arity: 3, run: (*Server).cmdReplicaOf},
		"REPLICAOF": {arity: 3, run: (*Server).cmdReplicaOf},
		"FAILOVER":  {arity: -1, run: func(s *Server, now time.Time, _ *conn, a []string) any { return s.cmdFailover(now, a) }},
		"CONFIG":    {arity: -2, loadingOK: true, run: (*Server).cmdConfig},
		"CLIENT":    {arity: -2, loadingOK: true, run: (*Server).cmdClient},
		"SCRIPT":    {arity: -2, busyOK: true, run: (*Server).cmdScript},
		"PUBLISH":   {arity: 3, loadingOK: true, run: func(s *Server, now time.Time, _ *conn, a []string) any { return s.cmdPublish(now, a) }},
		"AUTH":      {arity: -2, loadingOK: true, run: cmdAuth},
		// MULTI, EXEC, DISCARD, SUBSCRIBE and UNSUBSCRIBE act on the
		// connection and are handled in command before the table.
		"MULTI":       {arity: 1, loadingOK: true, busyOK: true},
		"EXEC":        {arity: 1, loadingOK: true, busyOK: true},
		"DISCARD":     {arity: 1, loadingOK: true, busyOK: true},
		"SUBSCRIBE":   {arity: -2, loadingOK: true},
		"UNSUBSCRIBE": {arity: -1, loadingOK: true},
	}
}

// table is shared by all servers: it is read-only after init.
var table = commandTable()

// command runs one client command and sends the reply (or replies: one
// per channel for SUBSCRIBE).
func (s *Server) command(now time.Time, from string, m sim.Command) {
	c := s.connOf(from, m.Inc, m.Conn)
	reply := func(v any) { s.ep.Send(from, m.Answer(v)) }
	if len(m.Args) == 0 {
		return // redis ignores an empty multibulk
	}
	name := strings.ToUpper(m.Args[0])
	sp, known := table[name]
	if len(c.subs) > 0 && !allowedSubscribed(name) {
		reply(sim.RedisError(fmt.Sprintf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
			strings.ToLower(m.Args[0]))))
		return
	}
	if err := checkCommand(name, known, sp, m.Args); err != nil {
		if c.multi {
			c.dirty = true
		}
		reply(err)
		return
	}
	if err := s.refusal(now, sp); err != nil {
		if c.multi {
			c.dirty = true // redis flags the transaction of a refused command
		}
		reply(err)
		return
	}
	switch name {
	case "MULTI":
		if c.multi {
			reply(sim.RedisError("ERR MULTI calls can not be nested"))
			return
		}
		c.multi, c.dirty, c.queued = true, false, nil
		reply("OK")
	case "EXEC":
		reply(s.exec(now, c))
	case "DISCARD":
		if !c.multi {
			reply(sim.RedisError("ERR DISCARD without MULTI"))
			return
		}
		c.multi, c.dirty, c.queued = false, false, nil
		reply("OK")
	case "SUBSCRIBE":
		if c.multi {
			break
		}
		for _, ch := range m.Args[1:] {
			c.subs[ch] = true
			reply([]any{"subscribe", ch, int64(len(c.subs))})
		}
		return
	case "UNSUBSCRIBE":
		if c.multi {
			break
		}
		chans := m.Args[1:]
		if len(chans) == 0 {
			chans = c.sortedSubs()
		}
		for _, ch := range chans {
			delete(c.subs, ch)
			reply([]any{"unsubscribe", ch, int64(len(c.subs))})
		}
		return
	default:
		if !c.multi {
			reply(sp.run(s, now, c, m.Args))
		}
	}
	if c.multi && name != "MULTI" && name != "EXEC" && name != "DISCARD" {
		c.queued = append(c.queued, m.Args)
		reply("QUEUED")
	}
}

// checkCommand is redis's lookup and arity check, with its texts.
func checkCommand(name string, known bool, sp spec, args []string) any {
	if !known {
		var b strings.Builder
		for _, a := range args[1:] {
			fmt.Fprintf(&b, "'%.128s' ", a)
		}
		return sim.RedisError(fmt.Sprintf("ERR unknown command '%.128s', with args beginning with: %s", args[0], b.String()))
	}
	if (sp.arity > 0 && len(args) != sp.arity) || len(args) < -sp.arity {
		return sim.RedisError(fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(args[0])))
	}
	return nil
}

// refusal is the -LOADING or -BUSY a command gets in those states.
func (s *Server) refusal(now time.Time, sp spec) any {
	switch {
	case now.Before(s.loadUntil) && !sp.loadingOK:
		return errLoading
	case now.Before(s.busyUntil) && !sp.busyOK:
		return errBusy
	}
	return nil
}

func allowedSubscribed(name string) bool {
	switch name {
	case "SUBSCRIBE", "UNSUBSCRIBE", "PSUBSCRIBE", "PUNSUBSCRIBE", "PING", "QUIT", "RESET":
		return true
	}
	return false
}

func (s *Server) cmdPing(_ time.Time, c *conn, args []string) any {
	switch {
	case len(args) > 2:
		return sim.RedisError("ERR wrong number of arguments for 'ping' command")
	case len(c.subs) > 0 && len(args) == 2:
		return []any{"pong", args[1]}
	case len(c.subs) > 0:
		return []any{"pong", ""}
	case len(args) == 2:
		return args[1]
	}
	return "PONG"
}

func (s *Server) cmdInfo(now time.Time, _ *conn, args []string) any {
	section := "default"
	if len(args) > 1 {
		section = strings.ToLower(args[1])
	}
	return s.info(now, section)
}

func (s *Server) cmdReplicaOf(now time.Time, _ *conn, args []string) any {
	if s.fo != nil {
		return sim.RedisError("ERR REPLICAOF not allowed while failing over.")
	}
	if strings.EqualFold(args[1], "no") && strings.EqualFold(args[2], "one") {
		s.becomeMaster(now)
		return "OK"
	}
	port, err := strconv.ParseInt(args[2], 10, 64)
	if err != nil || port < 0 || port > 65535 {
		return sim.RedisError("ERR Invalid master port")
	}
	addr := sim.Addr{Host: args[1], Port: int(port)}
	if addr == s.master {
		return "OK Already connected to specified master"
	}
	s.becomeReplica(now, addr)
	return "OK"
}

func (s *Server) cmdConfig(_ time.Time, _ *conn, args []string) any {
	sub := strings.ToUpper(args[1])
	if sub == "SET" {
		return s.configSet(args[2:])
	}
	if sub != "REWRITE" || len(args) != 2 {
		return sim.RedisError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try CONFIG HELP.", args[1]))
	}
	var conf string
	if !s.IsMaster() {
		conf = fmt.Sprintf("replicaof %s %d\n", s.master.Host, s.master.Port)
	}
	if s.minReplicas != 0 {
		conf += fmt.Sprintf("min-replicas-to-write %d\n", s.minReplicas)
	}
	if s.minLag != 10 {
		conf += fmt.Sprintf("min-replicas-max-lag %d\n", s.minLag)
	}
	s.ep.Disk().WriteFile(configFile, []byte(conf))
	return "OK"
}

// configSet is CONFIG SET of the two parameters a sentinel's fence sets,
// all-or-nothing like redis 7's.
func (s *Server) configSet(kv []string) any {
	if len(kv) == 0 || len(kv)%2 != 0 {
		return sim.RedisError("ERR wrong number of arguments for 'config|set' command")
	}
	to, lag := s.minReplicas, s.minLag
	for k := 0; k < len(kv); k += 2 {
		name := strings.ToLower(kv[k])
		if name != "min-replicas-to-write" && name != "min-replicas-max-lag" {
			return sim.RedisError(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", kv[k]))
		}
		n, err := strconv.ParseInt(kv[k+1], 10, 64)
		if err != nil {
			return sim.RedisError(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - argument couldn't be parsed into an integer", kv[k]))
		}
		if n < 0 || n > 2147483647 {
			return sim.RedisError(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - argument must be between 0 and 2147483647 inclusive", kv[k]))
		}
		if name == "min-replicas-to-write" {
			to = int(n)
		} else {
			lag = int(n)
		}
	}
	s.minReplicas, s.minLag = to, lag
	return "OK"
}

func (s *Server) cmdScript(now time.Time, _ *conn, args []string) any {
	if strings.ToUpper(args[1]) != "KILL" || len(args) != 2 {
		return sim.RedisError(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try SCRIPT HELP.", args[1]))
	}
	if !now.Before(s.busyUntil) {
		return sim.RedisError("NOTBUSY No scripts in execution right now.")
	}
	s.busyUntil = time.Time{}
	return "OK"
}

// cmdAuth answers as a server without requirepass does.
func cmdAuth(_ *Server, _ time.Time, _ *conn, _ []string) any {
	return sim.RedisError("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
}
