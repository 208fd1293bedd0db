package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/agentcheck"
	"github.com/qsentinel/qsentinel/health"
	"github.com/qsentinel/qsentinel/hooks"
	"github.com/qsentinel/qsentinel/metrics"
	"github.com/qsentinel/qsentinel/respserver"
	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sentinelconf"
	"github.com/qsentinel/qsentinel/strerror"
	"golang.org/x/sys/unix"
)

// app is one running sentinel: the monitor and its RESP face.
type app struct {
	logger *slog.Logger
	level  *slog.LevelVar      // the log level, changed by SENTINEL CONFIG SET loglevel
	users  *acl.Table          // loaded before anything is written
	srv    sentinelconf.Server // the server directives, for the log and process set-up
	logOut *logBatch           // where the log goes (logfile, or stdout as redis), behind the caller while running
	stdout io.Writer
	stderr io.Writer
	syslog *syslogSink // nil unless syslog-enabled
	// What load read, for build.
	file    *sentinelconf.File
	store   sentinel.Store
	path    string
	mon     *sentinel.Sentinel
	server  *respserver.Server
	agent   *agentcheck.Server
	pusher  *agentcheck.Pusher
	hooks   *hooks.Runner
	metrics *metrics.Server
	pidfile string
	// statePath is the state file no other sentinel may share (YAML's,
	// or a .conf's state-config-file); stateLock holds it (statelock.go).
	statePath string
	stateLock *os.File
	// notifier tells systemd how the start goes (nil: not supervised).
	notifier *notifier
	// supervisedBy is "upstart" or "systemd" when supervised, for INFO.
	supervisedBy string
}

// fail reports why the start or the run failed where an operator looks:
// the log and, for the supervisor's journal, stderr (when the log is
// elsewhere). redis-sentinel writes it to its log only.
func (a *app) fail(msg string, err error) {
	var also io.Writer
	if a.logOut.w != a.stdout {
		also = a.stderr // the log is a file: say it on stderr too
	}
	l := newLogger(a.srv, teeWriter{log: a.logOut, also: also}, a.syslog, a.level)
	if err == nil {
		l.Error(msg)
		return
	}
	l.Error(msg, "err", err)
}

// load reads the config (either form), changes to dir, sets up the log
// and persistence and checks the config file can be rewritten; build does
// the rest, once the process has detached if it is to.
func load(args []string, stdout, stderr io.Writer) (*app, error) {
	var (
		file     *sentinelconf.File
		store    sentinel.Store
		path     string
		lockPath string
	)
	yamlPath, rest, isYAML, err := yamlArgs(args)
	if err != nil {
		return nil, err
	}
	switch {
	case isYAML:
		path = yamlPath
		rest, x, err := extraArgs(rest)
		if err != nil {
			return nil, err
		}
		if len(rest) > 0 {
			return nil, yamlLeftovers(path, rest)
		}
		f, y, err := sentinelconf.LoadYAML(path, "SENTINEL")
		if err != nil {
			return nil, err
		}
		x.apply(f)
		statePath := y.StatePath(f.Server.Dir)
		if err := sentinelconf.LoadState(statePath, &f.Sentinel); err != nil {
			return nil, err
		}
		file, store = f, &sentinelconf.StateStore{Path: statePath}
		lockPath = statePath
	case len(args) >= 1 && !strings.HasPrefix(args[0], "-"):
		abs, err := filepath.Abs(args[0])
		if err != nil {
			return nil, fmt.Errorf("config path: %w", err)
		}
		path = abs
		if isYAMLPath(path) {
			return nil, yamlHint(args[0], "is")
		}
		opts, logFormat, lerr := logFormatArg(args[1:])
		if lerr != nil {
			return nil, lerr
		}
		rest, x, gerr := extraArgs(opts)
		if gerr != nil {
			return nil, gerr
		}
		f, err := sentinelconf.ParseFile(path)
		fileLines := -1 // an error in the file itself: no line is an option's
		if err == nil {
			fileLines = len(f.Lines)
			err = sentinelconf.ApplyArgs(f, rest)
		}
		if err == nil {
			x.apply(f)
			if logFormat != "" {
				f.Server.LogFormat = logFormat
			}
		}
		if err != nil {
			var ce *sentinelconf.ConfigError
			if errors.As(err, &ce) {
				reportConfigError(stderr, ce, path, fileLines)
				return nil, shownError{err}
			}
			return nil, err
		}
		file, store = f, &sentinelconf.ConfStore{Path: path, File: f, StatePath: f.StateConfigFile}
		lockPath = f.StateConfigFile
	default:
		return nil, errors.New("Sentinel needs config file on disk to save state. Exiting...\n" + usage())
	}
	if file.Server.Dir != "" {
		// Like redis, whose dir line chdir()s: relative paths (logfile,
		// pidfile, scripts set at runtime) resolve against dir, now and
		// after a restart.
		if err := os.Chdir(file.Server.Dir); err != nil {
			return nil, fmt.Errorf("dir %s: %w", file.Server.Dir, err)
		}
	}
	if cs, ok := store.(*sentinelconf.ConfStore); ok {
		if wd, err := os.Getwd(); err == nil {
			cs.Dir = wd
		}
	}
	out, err := logOutput(file.Server, stdout)
	if err != nil {
		var ce *sentinelconf.ConfigError
		if errors.As(err, &ce) {
			reportConfigError(stderr, ce, path, -1)
			return nil, shownError{err}
		}
		return nil, err
	}
	var sys *syslogSink
	if file.Server.SyslogEnabled {
		sys = newSyslogSink("", "", file.Server.SyslogIdent, file.Server.SyslogFacility)
	}
	level := logLevel(file.Server)
	batch := newLogBatch(out)
	logger := newLogger(file.Server, batch, sys, level)
	a := &app{logger: logger, level: level, srv: file.Server, logOut: batch, stdout: stdout, stderr: stderr, syslog: sys, pidfile: file.Server.Pidfile}
	// The users are loaded before anything is written: a bad rule ends the
	// start with redis's log lines and leaves the config file as it was.
	aclOpts := acl.Options{
		PubsubAllChannels: file.Server.ACLPubsubAll,
		LogMaxLen:         int(min(file.Server.ACLLogMaxLen, 1<<30)),
		Warn:              func(m string) { logger.Warn(m) },
		Notice:            func(m string) { logger.Info(m) },
	}
	if aclOpts.LogMaxLen == 0 {
		aclOpts.LogMaxLen = -1 // acllog-max-len 0: keep nothing
	}
	users, err := respserver.NewACL(file.Server.RequirePass, file.Server.Users, file.Server.ACLFile, aclOpts)
	if err != nil {
		var le *acl.LoadError
		if errors.As(err, &le) {
			for _, l := range le.Lines {
				a.fail(l, nil)
			}
			return nil, shownError{err}
		}
		return nil, err
	}
	a.users = users
	if cs, ok := store.(*sentinelconf.ConfStore); ok {
		cs.Users = users.List
		if file.Server.ACLFile != "" {
			// Users live in the aclfile: the rewrite drops user lines.
			cs.Users = func() []string { return []string{} }
		}
	}
	if cs, ok := store.(*sentinelconf.ConfStore); ok && cs.StatePath != "" {
		// The config file is only read; the state file must be
		// writable (or creatable) before anything starts.
		if err := checkStateWritable(cs.StatePath); err != nil {
			a.fail(fmt.Sprintf("Sentinel state-config-file %s is not writable: %s. Exiting...", cs.StatePath, strerror.Text(err)), nil)
			return nil, shownError{err}
		}
	} else if ok {
		// Like redis-sentinel (sentinelCheckConfigFile, after the log is
		// set up, so the reason is in the log): no start without a
		// config file we can rewrite.
		if err := checkWritable(path); err != nil {
			a.fail(fmt.Sprintf("Sentinel config file %s is not writable: %s. Exiting...", path, strerror.Text(err)), nil)
			return nil, shownError{err}
		}
	}
	if sp, ok := store.(*sentinelconf.StateStore); ok {
		// As a .conf must be rewritable: a state that cannot be saved
		// would mean a new id at every start.
		if err := checkStateWritable(sp.Path); err != nil {
			a.fail(fmt.Sprintf("Sentinel state file %s is not writable: %s. Exiting...", sp.Path, strerror.Text(err)), nil)
			return nil, shownError{err}
		}
	}
	a.file, a.store, a.path, a.statePath = file, store, path, lockPath
	return a, nil
}

// build makes the sentinel, its server and our extras from the config.
// It comes after daemonize: our extras open their listeners here, which
// must be the child's, not the parent's that is about to exit.
func (a *app) build() error {
	file, store, path := a.file, a.store, a.path
	if a.statePath != "" {
		// Here, not in load: a daemon's parent must not hold it.
		l, err := lockState(a.statePath)
		if err != nil {
			return err
		}
		a.stateLock = l
	}
	logger := a.logger
	var err error
	opts := sentinel.Options{
		Store:       savedStore{Store: store, log: func(m string) { logger.Info(m) }},
		Logger:      logger,
		LogLevel:    a.level,
		RequirePass: file.Server.RequirePass,
	}
	var serverTLS *tls.Config
	if t := file.Server.TLS; t.Enabled() {
		if t.Port != 0 {
			if serverTLS, err = t.ServerConfig(); err != nil {
				return fmt.Errorf("tls-port: %w", err)
			}
		}
		if t.Replication {
			if opts.TLS, err = t.ClientConfig(); err != nil {
				return fmt.Errorf("tls-replication: %w", err)
			}
		}
	}
	if file.Gossip.Bind != "" {
		opts.Gossip = &sentinel.GossipOptions{
			Bind: file.Gossip.Bind, Advertise: file.Gossip.Advertise,
			Join: file.Gossip.Join, SecretKey: gossipKey(file.Gossip.Key),
		}
	}
	mon, err := sentinel.New(file.Sentinel, opts)
	if err != nil {
		return err
	}
	a.mon = mon
	// Every master's configuration is the monitor's own copy now. The
	// parsed list (a few hundred bytes a master) would otherwise live as
	// long as a.file, which the config store keeps for its Lines.
	file.Sentinel.Masters = nil
	backend := &withHooks{Backend: mon} // its hooks are set below, before anything serves
	exe, _ := os.Executable()
	a.server = respserver.New(respserver.Config{
		Bind:           file.Server.Bind,
		Port:           file.Server.Port,
		RequirePass:    file.Server.RequirePass,
		Users:          file.Server.Users,
		ACL:            a.users,
		ACLFile:        file.Server.ACLFile,
		ProtectedMode:  file.Server.ProtectedMode,
		TLS:            serverTLS,
		TLSPort:        file.Server.TLS.Port,
		ConfigFile:     path,
		Executable:     exe,
		Supervised:     a.supervisedBy,
		Limits:         clientLimits(file.Server.Clients),
		UnixSocket:     file.Server.UnixSocket,
		UnixSocketPerm: os.FileMode(file.Server.UnixSocketPerm),
		ACLFrozen:      aclFrozen(a.store),
		Renames:        file.Server.Clients.Renames,
	}, backend, logger)
	if ac := file.AgentCheck; ac.Addr != "" {
		srv, err := agentcheck.New(agentcheck.Config{Addr: ac.Addr, DownWord: ac.DownWord},
			oracle{mon: mon, maxLag: ac.MaxLag}, logger)
		if err != nil {
			return err
		}
		a.agent = srv
	}
	if file.MetricsAddr != "" {
		m, err := metrics.New(file.MetricsAddr, mon, logger, metrics.WithInstance(metrics.Instance{
			Version: version, OS: respserver.OSName(), Port: file.Server.Port, PID: os.Getpid(), Started: time.Now()}))
		if err != nil {
			return err
		}
		h := health.Handler(healthSource{mon})
		for _, p := range []string{"/liveness", "/readiness", "/master/"} {
			m.Handle(p, h)
		}
		a.metrics = m
	}
	if h := file.Hooks; len(h.Rules) > 0 {
		journal := h.Journal
		if journal == "" {
			journal = "hooks-journal.json"
		}
		if !filepath.IsAbs(journal) && file.Server.Dir != "" {
			journal = filepath.Join(file.Server.Dir, journal)
		}
		var rules []hooks.Rule
		for _, r := range h.Rules {
			rules = append(rules, hooks.Rule{Event: r.Event, Argv: r.Command})
		}
		ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
		cfg := hooks.Config{Rules: rules, Journal: journal, Concurrency: h.Concurrency, Timeout: ms(h.TimeoutMs),
			MaxAttempts: h.MaxAttempts, Backoff: ms(h.BackoffMs), BackoffMax: ms(h.BackoffMaxMs)}
		if a.metrics != nil {
			cfg.Observer = a.metrics.Hooks()
		}
		runner, err := hooks.New(cfg, logger)
		if err != nil {
			return err
		}
		a.hooks, backend.hooks = runner, runner
	}
	if sock := file.AgentCheck.HAProxySocket; sock != "" {
		a.pusher = &agentcheck.Pusher{Socket: sock, Logger: logger,
			Oracle: oracle{mon: mon, maxLag: file.AgentCheck.MaxLag}}
	}
	return nil
}

// oracle answers agent checks from the sentinel's view.
type oracle struct {
	mon    *sentinel.Sentinel
	maxLag int64
}

func (o oracle) AgentVerdict(master, addr string, read bool) agentcheck.Verdict {
	up, reason := o.mon.ServerVerdict(master, addr, read, o.maxLag)
	return agentcheck.Verdict{Up: up, Reason: reason}
}

// healthSource is the sentinel as package health reads it.
type healthSource struct{ *sentinel.Sentinel }

func (h healthSource) MasterAddr(name string) (string, int, bool) {
	a, ok := h.Sentinel.MasterAddr(name)
	return a.Host, a.Port, ok
}

// checkStateWritable checks that the state file can be written: the
// file if it exists, else its directory (an atomic write creates a
// temporary file there and renames it).
func checkStateWritable(path string) error {
	if _, err := os.Stat(path); err == nil {
		if err := checkWritable(path); err != nil {
			return err
		}
	}
	return unix.Access(filepath.Dir(path), unix.W_OK|unix.X_OK)
}

func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	return f.Close()
}
