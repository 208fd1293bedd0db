// Package sentinelconf reads and writes the configuration of a sentinel:
// the redis-sentinel 7.0 .conf format (parsed and rewritten like
// redis-sentinel does), a YAML alternative, and a JSON state file used with
// the YAML form.
package sentinelconf

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/redisnum"
	"github.com/qsentinel/qsentinel/sdsargs"
	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/strerror"
)

// redisVersion is the version redis-sentinel prints in its fatal config
// error banner; scripts that grep the banner expect this one.
const redisVersion = "7.0.15"

// defaultSentinelPort is redis-sentinel's port when the file sets none.
const defaultSentinelPort = 26379

// Server holds the redis-server directives that mean something to a
// sentinel. Every other directive redis-server knows is classified in
// classify.go: accepted because it has no effect in redis-sentinel either,
// or refused when set to a value redis-sentinel would act on.
type Server struct {
	Port int
	Bind []string
	// UnixSocket, when set, is a unix socket listened on too, with
	// UnixSocketPerm as its permissions (0: as umask leaves them).
	UnixSocket     string
	UnixSocketPerm uint32
	Dir            string
	Pidfile        string
	Logfile        string
	Loglevel       string
	LogFormat      string // "redis" (redis-sentinel's lines, a .conf's default), "text" or "json" (slog)
	Daemonize      bool
	Supervised     string // "no", "upstart", "systemd" or "auto"
	// Syslog: every log line also goes to syslog (syslog-enabled), as
	// ident (syslog-ident) with facility (syslog-facility: user, local0-7).
	SyslogEnabled  bool
	SyslogIdent    string
	SyslogFacility string
	// OOMScoreAdj is oom-score-adj: "no", "relative" ("yes") or
	// "absolute"; OOMScoreAdjValues the master, replica and child values
	// (a sentinel uses the first).
	OOMScoreAdj       string
	OOMScoreAdjValues [3]int
	RequirePass       string
	Users             []string // each "user" directive's arguments after "user", quoted as sdsargs.Join does
	// ACLPubsubAll is "acl-pubsub-default allchannels"; ACLLogMaxLen is
	// acllog-max-len (128 unless set); ACLFile is aclfile.
	ACLPubsubAll  bool
	ACLLogMaxLen  int64
	ACLFile       string
	ProtectedMode bool
	TLS           TLS
	Clients       Clients
}

// TLS holds redis's tls-* directives a sentinel uses: a TLS listener on
// Port, and (Replication) TLS on every link to Redis and to peers.
type TLS struct {
	Port           int
	CertFile       string
	KeyFile        string
	ClientCertFile string // for links we open; CertFile when empty
	ClientKeyFile  string
	CACertFile     string
	CACertDir      string
	AuthClients    string // "yes" (default), "no" or "optional"
	Replication    bool
	// MinVersion and MaxVersion are tls-protocols (0: TLS 1.2 to 1.3).
	MinVersion, MaxVersion uint16
}

// File is a parsed sentinel configuration.
type File struct {
	Server   Server
	Sentinel sentinel.Config
	// Path is the file the config was read from ("" for YAML-less tests).
	Path string
	// Lines are the file's lines as read, without the trailing newline.
	// ConfStore rewrites them when the file on disk cannot be read, and
	// ApplyArgs re-parses them with the command-line options appended.
	Lines []string
	// Gossip is our memberlist layer (YAML keys gossip_*, or --gossip-*
	// options after a .conf path); redis-sentinel has no equivalent.
	Gossip Gossip
	// AgentCheck is the HAProxy agent-check listener (agent_check_*, or
	// --agent-check-*).
	AgentCheck AgentCheck
	// Hooks are commands run at least once on events (YAML hooks*, or
	// --hooks file.yaml after a .conf path).
	Hooks Hooks
	// MetricsAddr serves Prometheus /metrics and /healthz (metrics_addr,
	// or --metrics); empty: off.
	MetricsAddr string
	// StateConfigFile is "sentinel state-config-file <path>" (the
	// directive proposed to redis and Valkey, state.go's neighbour
	// stateconf.go): the runtime state is read from and saved to it, and
	// the config file itself is never rewritten. Resolved like a script
	// path; "" when unset.
	StateConfigFile string
	// HAProxyPorts are the masters' frontend ports in `sentinel
	// haproxy-config` (YAML masters' haproxy_port), by master name.
	HAProxyPorts map[string]int
}

// Hooks configures the at-least-once event hooks.
type Hooks struct {
	Rules       []HookRule
	Journal     string // relative to dir; default hooks-journal.json
	Concurrency int
	TimeoutMs   int64
	// MaxAttempts starts of a run before it is given up; the first retry
	// waits BackoffMs, doubled after each failure up to BackoffMaxMs.
	MaxAttempts  int
	BackoffMs    int64
	BackoffMaxMs int64
}

// HookRule runs Command (an argv list) for events matching Event.
type HookRule struct {
	Event   string   `mapstructure:"event"`
	Command []string `mapstructure:"command"`
}

// AgentCheck configures the HAProxy agent-check server.
type AgentCheck struct {
	Addr     string // host:port; empty: off
	DownWord string // "down" (default) or "maint"
	MaxLag   int64  // read backends: most replication lag in bytes; 0: no limit
	// HAProxySocket is HAProxy's runtime API socket (unix path or
	// host:port); when set, routing is pushed at +switch-master and
	// +convert-to-slave instead of waiting for the next agent check.
	HAProxySocket string
}

// Gossip configures the memberlist layer between our instances.
type Gossip struct {
	Bind      string   // host:port; empty: off
	Advertise string   // host:port others reach us at
	Join      []string // host:port of peers
	Key       string   // shared secret; empty: no encryption
}

// ConfigError is a config file problem, tied to a line when one is known.
type ConfigError struct {
	File   string
	Line   int    // 1-based; 0 when no single line is at fault
	Text   string // the offending line, trimmed as redis shows it
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s (>>> '%s')", e.File, e.Line, e.Reason, e.Text)
}

// RedisFormat renders the error as redis-server prints it before exiting
// (config.c loadServerConfigFromString / sentinel.c
// loadSentinelConfigFromQueue), so tooling written against redis-sentinel
// keeps working.
func (e *ConfigError) RedisFormat() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", redisVersion)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	fmt.Fprintf(&b, "%s\n", e.Reason)
	return b.String()
}

// ParseFile reads and parses a redis-sentinel config file.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	return Parse(path, data)
}

// Parse parses redis-sentinel config text; path is only used in errors.
func Parse(path string, data []byte) (*File, error) {
	lines := strings.Split(string(data), "\n")
	f, err := parseLines(path, lines)
	if err != nil {
		return nil, err
	}
	f.Lines = lines
	return f, nil
}

// ApplyArgs applies command-line options given after the file name, the way
// redis-server does: every "--name" starts a new directive line, the
// following arguments are appended to it quoted, and the lines are parsed
// after the file's own lines, so they override it. Like redis, the whole
// text is parsed again, which keeps sentinel directives on the command line
// subject to the same ordering rules as in the file.
func ApplyArgs(f *File, args []string) error {
	if len(args) == 0 {
		return nil
	}
	var opts strings.Builder
	handledLast := true
	for j, a := range args {
		switch {
		case a == "-" && (j == 0 || j == len(args)-1):
			return fmt.Errorf("%s: reading the config from stdin is not supported", f.Path)
		case handledLast && strings.HasPrefix(a, "--"):
			if opts.Len() > 0 {
				opts.WriteString("\n")
			}
			opts.WriteString(a[2:])
			opts.WriteString(" ")
			parts, _ := sdsargs.Split(a)
			if len(parts) != 1 {
				// "--port 6380" as one argument carries its own value.
				handledLast = true
				continue
			}
			handledLast = false
			next := j+1 < len(args) && strings.HasPrefix(args[j+1], "--")
			last := j == len(args)-1
			switch {
			case strings.EqualFold(a, "--save") && next:
				opts.WriteString(`""`)
				handledLast = true
			case strings.EqualFold(a, "--save") && last:
				opts.WriteString(`""`)
			case strings.EqualFold(a, "--sentinel") && next:
				// A pseudo option without value: "sentinel" alone.
				handledLast = true
			}
		default:
			opts.WriteString(sdsargs.Repr(a))
			opts.WriteString(" ")
			handledLast = true
		}
	}
	lines := append(append([]string(nil), f.Lines...), strings.Split(opts.String(), "\n")...)
	g, err := parseLines(f.Path, lines)
	if err != nil {
		return err
	}
	f.Server, f.Sentinel = g.Server, g.Sentinel
	return nil
}

// queued is one "sentinel ..." line. redis-sentinel does not apply these as
// it reads them: it queues them and applies, after the whole file (and the
// command line) was read, first the global ones, then every monitor, then
// the rest. So a "known-replica" line may come before its "monitor" line,
// and an error in a sentinel line is only reported when all other lines
// were fine.
type queued struct {
	args  []string // after "sentinel"
	file  string   // the file the line is in (an included one, say)
	line  int
	text  string
	state bool // read from the state-config-file
}

// preMonitor are the sentinel options redis applies before any monitor
// (sentinel.c preMonitorCfgName).
var preMonitor = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true,
	"sentinel-user": true, "sentinel-pass": true, "current-epoch": true,
	"myid": true, "resolve-hostnames": true, "announce-hostnames": true,
}

// parser carries the state of one parse.
type parser struct {
	path    string
	f       *File
	queue   [3][]queued
	masters map[string]int // name -> index in f.Sentinel.Masters
	file    string         // the file being read (the config or an included one)
	depth   int            // include nesting
	failed  error          // an error inside an included file, with its own line
	// dir is where redis-server would be after the dir lines read so far
	// ("" = the directory we started in): redis chdir()s as it reads a dir
	// line, so later relative paths (scripts) resolve against it, at
	// start-up as at runtime.
	dir string
	// where remembers the line that last touched something Validate may
	// complain about, keyed like Validate's messages ("myid", "monitor m",
	// "master m"), so its errors can point at a line.
	where map[string]queued
	// users are the names of the "user" lines seen so far; aclCat is the
	// command table their rules are checked against (loaded at the first
	// "user" line).
	users  map[string]bool
	aclCat *acl.Catalog
	// commands is the command table as rename-command lines left it:
	// current name -> original name (nil until the first rename).
	commands map[string]string
	// inState: the lines being read are the state-config-file's.
	inState bool
}

func parseLines(path string, lines []string) (*File, error) {
	f := &File{
		Path: path,
		Server: Server{Port: defaultSentinelPort, Loglevel: "notice", LogFormat: "redis", Supervised: "no",
			SyslogIdent: "redis", SyslogFacility: "local0",
			OOMScoreAdj: "no", OOMScoreAdjValues: [3]int{0, 200, 800}, ACLLogMaxLen: 128,
			Clients: defaultClients()},
		Sentinel: sentinel.DefaultConfig(),
	}
	p := &parser{path: path, f: f, masters: map[string]int{}, where: map[string]queued{}, users: map[string]bool{}}
	if err := p.parseText(path, lines); err != nil {
		return nil, err
	}
	if err := p.readStateConfig(); err != nil {
		return nil, err
	}
	skip := p.stateMasters()
	for _, q := range p.queue {
		for _, e := range q {
			if skip(e) {
				continue
			}
			if reason := p.sentinelDirective(e); reason != "" {
				return nil, &ConfigError{File: e.file, Line: e.line, Text: e.text, Reason: reason}
			}
		}
	}
	f.Sentinel.Port = f.Server.Port
	if f.Server.TLS.Replication && f.Server.TLS.Port != 0 {
		// As redis-sentinel: with TLS links, peers are told our TLS port.
		f.Sentinel.Port = f.Server.TLS.Port
	}
	if err := f.Sentinel.Validate(); err != nil {
		ce := &ConfigError{File: path, Reason: err.Error()}
		msg := err.Error()
		for key, e := range p.where {
			if strings.HasPrefix(msg, key+":") {
				ce.Line, ce.Text = e.line, e.text
			}
		}
		return nil, ce
	}
	return f, nil
}

// parseText reads the lines of one file (the config, or one it includes)
// into the parser, directive by directive like loadServerConfigFromString.
func (p *parser) parseText(path string, lines []string) error {
	outer := p.file
	p.file = path
	defer func() { p.file = outer }()
	for i, raw := range lines {
		if j := strings.IndexByte(raw, 0); j >= 0 {
			raw = raw[:j] // read as C strings by redis
		}
		text := strings.Trim(raw, " \t\r\n")
		if text == "" || text[0] == '#' {
			continue
		}
		errAt := func(reason string) error {
			return &ConfigError{File: path, Line: i + 1, Text: text, Reason: reason}
		}
		args, err := sdsargs.Split(text)
		if err != nil {
			return errAt("Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		args[0] = strings.ToLower(args[0])
		if reason := p.directive(args, i+1, text); reason != "" {
			return errAt(reason)
		}
		if p.failed != nil {
			// An error inside an included file: reported at its own line.
			return p.failed
		}
	}
	return nil
}

// maxIncludeDepth bounds include chains; redis has no bound and recurses
// until it crashes on a file that includes itself.
const maxIncludeDepth = 16

// include reads the file (or, with a wildcard, every file matching the
// pattern, none being fine) in place of the include line, as redis's
// loadServerConfig does. A relative name is relative to the last dir.
func (p *parser) include(name string) string {
	if p.depth >= maxIncludeDepth {
		return "Too many nested includes"
	}
	pattern := p.resolve(name)
	files := []string{pattern}
	if strings.ContainsAny(name, "*?[") {
		var err error
		if files, err = filepath.Glob(pattern); err != nil {
			return "Bad include pattern: " + err.Error()
		}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Sprintf("Fatal error, can't open config file '%s': %s", file, strerror.Text(err))
		}
		p.depth++
		err = p.parseText(file, strings.Split(string(data), "\n"))
		p.depth--
		if err != nil {
			p.failed = err
			return ""
		}
	}
	return ""
}

// portArg parses a port directive's argument, with redis's error texts.
func portArg(arg string) (int, string) {
	n, err := strictInt(arg)
	if err != nil {
		return 0, "argument couldn't be parsed into an integer"
	}
	if n < 0 || n > 65535 {
		return 0, "argument must be between 0 and 65535 inclusive"
	}
	return int(n), ""
}

// directive handles one non-comment line; it returns redis's error text or "".
func (p *parser) directive(args []string, line int, text string) string {
	if p.inState && args[0] != "sentinel" {
		return "Only sentinel lines belong in a state-config-file."
	}
	s := &p.f.Server
	name := args[0]
	if kind, ok := redisDirectives[name]; ok {
		if kind != kindMulti && len(args) != 2 {
			return "wrong number of arguments"
		}
		if kind == kindMulti && len(args) == 2 && args[1] != "" {
			// redis lets "--bind 'a b'" mean two arguments.
			sub, err := sdsargs.Split(args[1])
			if err != nil {
				return "Unbalanced quotes in configuration line"
			}
			args = append(args[:1:1], sub...)
		}
		if kind == kindBool {
			if _, ok := yesNo(args[1]); !ok {
				return "argument must be 'yes' or 'no'"
			}
		}
		if reason, ok := p.clientDirective(args); ok {
			return reason
		}
		c, ok := directiveClasses[name]
		if !ok {
			// TestEveryDirectiveClassified keeps this from happening.
			return fmt.Sprintf("'%s' is not supported by this sentinel: not classified", name)
		}
		if !c.allows(args[1:]) {
			return c.refusal(name)
		}
		switch name {
		case "port":
			n, reason := portArg(args[1])
			if reason != "" {
				return reason
			}
			s.Port = n
		case "bind":
			if len(args)-1 > 16 {
				return "Too many bind addresses specified."
			}
			s.Bind = append([]string(nil), args[1:]...)
		case "dir":
			d, reason := p.chdir(args[1])
			if reason != "" {
				return reason
			}
			s.Dir = d
		case "daemonize":
			s.Daemonize, _ = yesNo(args[1])
		case "unixsocket":
			s.UnixSocket = args[1]
		case "unixsocketperm":
			n, err := strconv.ParseUint(args[1], 8, 32)
			if err != nil {
				return "argument couldn't be parsed as an octal number"
			}
			if n > 0o777 {
				return "argument must be between 0 and 777 inclusive"
			}
			s.UnixSocketPerm = uint32(n)
		case "oom-score-adj":
			switch v := strings.ToLower(args[1]); v {
			case "no", "relative", "absolute":
				s.OOMScoreAdj = v
			case "yes":
				s.OOMScoreAdj = "relative"
			default:
				return "argument(s) must be one of the following: no, yes, relative, absolute"
			}
		case "oom-score-adj-values":
			if len(args) != 4 {
				return "wrong number of arguments"
			}
			for i, a := range args[1:] {
				n, err := strconv.ParseInt(a, 10, 64)
				if err != nil || n < -2000 || n > 2000 {
					return "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
				}
				s.OOMScoreAdjValues[i] = int(n)
			}
		case "syslog-enabled":
			s.SyslogEnabled, _ = yesNo(args[1])
		case "syslog-ident":
			s.SyslogIdent = args[1]
		case "syslog-facility":
			switch v := strings.ToLower(args[1]); v {
			case "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7":
				s.SyslogFacility = v
			default:
				return "argument(s) must be one of the following: user, local0, local1, local2, local3, local4, local5, local6, local7"
			}
		case "supervised":
			switch v := strings.ToLower(args[1]); v {
			case "upstart", "systemd", "auto", "no":
				s.Supervised = v
			default:
				return "argument(s) must be one of the following: upstart, systemd, auto, no"
			}
		case "pidfile":
			s.Pidfile = args[1]
		case "logfile":
			s.Logfile = args[1]
		case "loglevel":
			switch l := strings.ToLower(args[1]); l {
			case "debug", "verbose", "notice", "warning":
				s.Loglevel = l
			default:
				return "argument(s) must be one of the following: debug, verbose, notice, warning"
			}
		case "requirepass":
			s.RequirePass = args[1]
		case "protected-mode":
			s.ProtectedMode, _ = yesNo(args[1])
		case "tls-port":
			n, reason := portArg(args[1])
			if reason != "" {
				return reason
			}
			s.TLS.Port = n
		case "tls-cert-file":
			s.TLS.CertFile = args[1]
		case "tls-key-file":
			s.TLS.KeyFile = args[1]
		case "tls-client-cert-file":
			s.TLS.ClientCertFile = args[1]
		case "tls-client-key-file":
			s.TLS.ClientKeyFile = args[1]
		case "tls-ca-cert-file":
			s.TLS.CACertFile = args[1]
		case "tls-ca-cert-dir":
			s.TLS.CACertDir = args[1]
		case "tls-auth-clients":
			switch v := strings.ToLower(args[1]); v {
			case "yes", "no", "optional":
				s.TLS.AuthClients = v
			default:
				return "argument(s) must be one of the following: no, yes, optional"
			}
		case "tls-protocols":
			lo, hi, reason := tlsProtocols(args[1])
			if reason != "" {
				return reason
			}
			s.TLS.MinVersion, s.TLS.MaxVersion = lo, hi
		case "tls-replication":
			s.TLS.Replication, _ = yesNo(args[1])
		case "aclfile", "acl-pubsub-default", "acllog-max-len":
			return p.aclDirective(name, args[1])
		}
		return ""
	}
	switch {
	case name == "list-max-ziplist-entries" && len(args) == 2,
		name == "list-max-ziplist-value" && len(args) == 2,
		name == "lua-replicate-commands" && len(args) == 2:
		return "" // deprecated, silently ignored by redis 7.0
	case name == "include" && len(args) == 2:
		return p.include(args[1])
	case name == "rename-command" && len(args) == 3:
		return p.renameCommand(args[1], args[2])
	case name == "user" && len(args) >= 2:
		if reason := p.checkUser(args); reason != "" {
			return reason
		}
		s.Users = append(s.Users, sdsargs.Join(args[1:]...))
		return ""
	case name == "loadmodule" && len(args) >= 2:
		return ""
	case strings.Contains(name, "."):
		if len(args) < 2 {
			return "Module config specified without value"
		}
		return ""
	case name == "sentinel" && len(args) > 1 && strings.EqualFold(args[1], "state-config-file"):
		return p.stateConfigDirective(args)
	case name == "sentinel":
		if len(args) > 1 {
			e := queued{args: args[1:], file: p.file, line: line, text: text, state: p.inState}
			sub := strings.ToLower(args[1])
			switch {
			case preMonitor[sub]:
				p.queue[0] = append(p.queue[0], e)
			case sub == "monitor":
				p.queue[1] = append(p.queue[1], e)
			default:
				p.queue[2] = append(p.queue[2], e)
			}
		}
		return ""
	}
	return "Bad directive or wrong number of arguments"
}

const errNoMaster = "No such master with specified name."

// sentinelDirective applies one queued line like sentinelHandleConfiguration
// in sentinel.c, returning its error text or "".
func (p *parser) sentinelDirective(e queued) string {
	c := &p.f.Sentinel
	argv := e.args
	argc := len(argv)
	sub := strings.ToLower(argv[0])
	master := func() *sentinel.MasterState {
		if i, ok := p.masters[argv[1]]; ok {
			p.where["master "+argv[1]] = e
			return &c.Masters[i]
		}
		return nil
	}
	opt := sentinel.LookupMasterOption(sub)
	switch {
	case sub == "monitor" && argc == 5:
		mc := sentinel.MasterConfig{Name: argv[1]}
		if reason := sentinel.LookupMasterOption("quorum").ParseConf(&mc, argv[4:], p.resolve); reason != "" {
			return reason
		}
		addr, reason := p.addr(argv[2], argv[3])
		if reason != "" {
			return reason
		}
		if _, dup := p.masters[argv[1]]; dup {
			return "Duplicate master name."
		}
		p.masters[argv[1]] = len(c.Masters)
		p.where["monitor "+argv[1]] = e
		mc.Addr = addr
		c.Masters = append(c.Masters, sentinel.MasterState{MasterConfig: mc})
	case sub == "current-epoch" && argc == 2:
		c.CurrentEpoch = max(c.CurrentEpoch, redisnum.Strtoull(argv[1]))
	case sub == "myid" && argc == 2:
		if len(argv[1]) != 40 {
			return "Malformed Sentinel id in myid option."
		}
		c.MyID = argv[1]
		p.where["myid"] = e
	case sub == "config-epoch" && argc == 3:
		m := master()
		if m == nil {
			return errNoMaster
		}
		m.ConfigEpoch = redisnum.Strtoull(argv[2])
		c.CurrentEpoch = max(c.CurrentEpoch, m.ConfigEpoch)
	case sub == "leader-epoch" && argc == 3:
		m := master()
		if m == nil {
			return errNoMaster
		}
		m.LeaderEpoch = redisnum.Strtoull(argv[2])
	case (sub == "known-replica" || sub == "known-slave") && argc == 4:
		m := master()
		if m == nil {
			return errNoMaster
		}
		addr, reason := p.addr(argv[2], argv[3])
		if reason != "" {
			return reason
		}
		for _, r := range m.KnownReplicas {
			if r == addr {
				return "Duplicate hostname and port for replica."
			}
		}
		m.KnownReplicas = append(m.KnownReplicas, addr)
	case sub == "known-sentinel" && (argc == 4 || argc == 5):
		if argc == 4 {
			return "" // the old form without run id is ignored
		}
		m := master()
		if m == nil {
			return errNoMaster
		}
		addr, reason := p.addr(argv[2], argv[3])
		if reason != "" {
			return reason
		}
		for _, s := range m.KnownSentinels {
			if s.RunID == argv[4] {
				return "Duplicate runid for sentinel."
			}
		}
		m.KnownSentinels = append(m.KnownSentinels, sentinel.KnownSentinel{Addr: addr, RunID: argv[4]})
	case sub == "announce-ip" && argc == 2:
		if argv[1] != "" {
			c.AnnounceIP = argv[1]
		}
	case sub == "announce-port" && argc == 2:
		c.AnnouncePort = int(redisnum.Atoi(argv[1]))
	case sub == "deny-scripts-reconfig" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the deny-scripts-reconfig options."
		}
		c.DenyScriptsReconfig = v
	case sub == "sentinel-user" && argc == 2:
		if argv[1] != "" {
			c.SentinelUser = argv[1]
		}
	case sub == "sentinel-pass" && argc == 2:
		if argv[1] != "" {
			c.SentinelPass = argv[1]
		}
	case sub == "resolve-hostnames" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the resolve-hostnames option."
		}
		c.ResolveHostnames = v
	case sub == "announce-hostnames" && argc == 2:
		v, ok := yesNo(argv[1])
		if !ok {
			return "Please specify yes or no for the announce-hostnames option."
		}
		c.AnnounceHostnames = v
	case opt != nil && opt.Directive && argc == opt.Args+2:
		// A per-master option: its own code is in sentinel.MasterOptions.
		m := master()
		if m == nil {
			return errNoMaster
		}
		return opt.ParseConf(&m.MasterConfig, argv[2:], p.resolve)
	default:
		return "Unrecognized sentinel configuration statement."
	}
	return ""
}

// addr checks an instance address like createSentinelAddr: the port must
// be in range and, unless resolve-hostnames is on, the host must be an IP
// literal. Hostnames are not looked up here: redis accepts unresolvable
// names when resolve-hostnames is on, and parsing should not hit DNS.
func (p *parser) addr(host, port string) (sentinel.Addr, string) {
	n := redisnum.Atoi(port)
	if n < 0 || n > 65535 {
		return sentinel.Addr{}, "Invalid port number."
	}
	if !p.f.Sentinel.ResolveHostnames && net.ParseIP(host) == nil {
		return sentinel.Addr{}, "Can't resolve instance hostname."
	}
	return sentinel.Addr{Host: host, Port: int(n)}, ""
}

// chdir does what redis's "dir" does to relative paths read later: it
// returns the directory to change to (relative ones relative to the
// previous dir line, as consecutive chdir()s are) or chdir's error text.
// The parser itself never changes directory; load does, once.
func (p *parser) chdir(dir string) (string, string) {
	d := p.resolve(dir)
	st, err := os.Stat(d)
	if err == nil && !st.IsDir() {
		err = syscall.ENOTDIR
	}
	if err != nil {
		return "", strerror.Text(err) // strerror's text, as redis reports it
	}
	p.dir = d
	return d, ""
}

// resolve is path as redis-server would open it now: relative to the dir
// read last.
func (p *parser) resolve(path string) string {
	if p.dir == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.dir, path)
}

// yesNo is redis's yesnotoi.
func yesNo(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "yes"):
		return true, true
	case strings.EqualFold(s, "no"):
		return false, true
	}
	return false, false
}

// strictInt parses like redis's string2ll: no blanks, no '+', no leading
// zeros. Used for redis-server's own integer directives.
func strictInt(s string) (int64, error) {
	if s == "" || s[0] == '+' || len(s) > 1 && s[0] == '0' || strings.HasPrefix(s, "-0") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseInt(s, 10, 64)
}
