package sentinelconf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/redisnum"
)

// Clients holds the redis-server directives about the sentinel's own
// clients and listeners (limits, keepalive, backlog, command names);
// respserver enforces them.
type Clients struct {
	MaxClients   int           // maxclients
	Timeout      time.Duration // timeout: idle clients closed; 0: never
	TCPKeepalive time.Duration // tcp-keepalive; 0: off
	TCPBacklog   int           // tcp-backlog
	// MaxBulk is proto-max-bulk-len; QueryBufferLimit is
	// client-query-buffer-limit (0: respserver's own, tighter, default).
	MaxBulk          int64
	QueryBufferLimit int64
	// PubSub and Normal are client-output-buffer-limit's pubsub and
	// normal classes.
	PubSub, Normal BufferLimit
	// Renames maps a command's name (lower case) to its new name, ""
	// when rename-command removed it.
	Renames map[string]string
}

// BufferLimit is one class of client-output-buffer-limit: a client is
// closed when its pending output exceeds Hard, or stays above Soft for
// SoftSeconds. Zero disables a limit.
type BufferLimit struct {
	Hard, Soft  int64
	SoftSeconds int
}

// defaultClients are redis 7.0's defaults.
func defaultClients() Clients {
	return Clients{
		MaxClients:   10000,
		TCPKeepalive: 300 * time.Second,
		TCPBacklog:   511,
		MaxBulk:      512 * 1024 * 1024,
		PubSub:       BufferLimit{Hard: 32 * 1024 * 1024, Soft: 8 * 1024 * 1024, SoftSeconds: 60},
	}
}

// sentinelCommands is redis-sentinel 7.0's command table: what
// rename-command may rename.
var sentinelCommands = []string{"ping", "sentinel", "subscribe", "unsubscribe", "psubscribe",
	"punsubscribe", "publish", "info", "role", "client", "shutdown", "auth", "hello", "acl", "command"}

// intArg parses an integer directive with redis's bounds and error texts.
func intArg(arg string, lo, hi int64) (int64, string) {
	n, err := strictInt(arg)
	if err != nil {
		return 0, "argument couldn't be parsed into an integer"
	}
	if n < lo || n > hi {
		return 0, fmt.Sprintf("argument must be between %d and %d inclusive", lo, hi)
	}
	return n, ""
}

// memArg parses a memory directive (proto-max-bulk-len, ...) like redis.
func memArg(arg string, lo int64) (int64, string) {
	n, ok := memtoull(arg)
	if !ok {
		return 0, "argument must be a memory value"
	}
	if n < uint64(lo) || n > math.MaxInt64 {
		return 0, fmt.Sprintf("argument must be between %d and %d inclusive", lo, int64(math.MaxInt64))
	}
	return int64(n), ""
}

// memtoull is redis's util.c memtoull: digits then an optional unit,
// k/m/g being powers of 1000 and kb/mb/gb powers of 1024.
func memtoull(s string) (uint64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	mul := map[string]uint64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1024 * 1024,
		"g": 1000 * 1000 * 1000, "gb": 1024 * 1024 * 1024}[strings.ToLower(s[i:])]
	if mul == 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil || n > math.MaxUint64/mul {
		return 0, false
	}
	return n * mul, true
}

// clientDirective handles the client-limit directives; ok is false for
// any other name.
func (p *parser) clientDirective(args []string) (reason string, ok bool) {
	c := &p.f.Server.Clients
	switch args[0] {
	case "maxclients":
		n, r := intArg(args[1], 1, math.MaxUint32)
		if r == "" {
			c.MaxClients = int(n)
		}
		return r, true
	case "timeout":
		n, r := intArg(args[1], 0, math.MaxInt32)
		c.Timeout = time.Duration(n) * time.Second
		return r, true
	case "tcp-keepalive":
		n, r := intArg(args[1], 0, math.MaxInt32)
		c.TCPKeepalive = time.Duration(n) * time.Second
		return r, true
	case "tcp-backlog":
		n, r := intArg(args[1], 0, math.MaxInt32)
		c.TCPBacklog = int(n)
		return r, true
	case "proto-max-bulk-len":
		n, r := memArg(args[1], 1024*1024)
		if r == "" {
			c.MaxBulk = n
		}
		return r, true
	case "client-query-buffer-limit":
		n, r := memArg(args[1], 1024*1024)
		if r == "" {
			c.QueryBufferLimit = n
		}
		return r, true
	case "client-output-buffer-limit":
		return p.outputBufferLimit(args[1:]), true
	}
	return "", false
}

// outputBufferLimit parses "class hard soft seconds ..." like config.c.
func (p *parser) outputBufferLimit(args []string) string {
	if len(args)%4 != 0 {
		return "Wrong number of arguments in buffer limit configuration."
	}
	type entry struct {
		class string
		lim   BufferLimit
	}
	var entries []entry
	for j := 0; j < len(args); j += 4 {
		class := strings.ToLower(args[j])
		switch class {
		case "normal", "replica", "slave", "pubsub":
		default:
			return "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memtoull(args[j+1])
		soft, ok2 := memtoull(args[j+2])
		secs := redisnum.Atoi(args[j+3]) // strtoll: garbage is 0, as in redis
		if !ok1 || !ok2 || secs < 0 || hard > math.MaxInt64 || soft > math.MaxInt64 {
			return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		entries = append(entries, entry{class, BufferLimit{Hard: int64(hard), Soft: int64(soft), SoftSeconds: int(secs)}})
	}
	for _, e := range entries {
		switch e.class {
		case "normal":
			p.f.Server.Clients.Normal = e.lim
		case "pubsub":
			p.f.Server.Clients.PubSub = e.lim
		}
	}
	return ""
}

// renameCommand applies one rename-command line to the table of names,
// with redis 7.0's errors.
func (p *parser) renameCommand(from, to string) string {
	if p.commands == nil {
		p.commands = map[string]string{}
		for _, n := range sentinelCommands {
			p.commands[n] = n
		}
	}
	orig, ok := p.commands[strings.ToLower(from)]
	if !ok {
		return "No such command in rename-command"
	}
	delete(p.commands, strings.ToLower(from))
	if to != "" {
		if _, dup := p.commands[strings.ToLower(to)]; dup {
			return "Target command name already exists"
		}
		p.commands[strings.ToLower(to)] = orig
	}
	renames := map[string]string{}
	for _, n := range sentinelCommands {
		renames[n] = ""
	}
	for name, o := range p.commands {
		renames[o] = name
	}
	for n, name := range renames {
		if name == n {
			delete(renames, n)
		}
	}
	p.f.Server.Clients.Renames = renames
	return ""
}
