package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/agentcheck"
	"github.com/qsentinel/qsentinel/hooks"
	"github.com/qsentinel/qsentinel/metrics"
	"github.com/qsentinel/qsentinel/respserver"
	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sentinelconf"
)

// app is one running sentinel: the monitor and its RESP face.
type app struct {
	logger   *slog.Logger
	logClose io.Closer
	sent     *sentinel.Sentinel
	server   *respserver.Server
	agent    *agentcheck.Server
	pusher   *agentcheck.Pusher
	hooks    *hooks.Runner
	metrics  *metrics.Server
	pidfile  string
}

// load reads the config (either form), prepares logging and persistence,
// and builds the sentinel and its server without starting them.
func load(args []string, stderr io.Writer) (*app, error) {
	var (
		file  *sentinelconf.File
		store sentinel.Store
		path  string
	)
	switch {
	case len(args) >= 2 && (args[0] == "--config" || args[0] == "-config"):
		path = args[1]
		f, y, err := sentinelconf.LoadYAML(path, "SENTINEL")
		if err != nil {
			return nil, err
		}
		statePath := y.StateFile
		if !filepath.IsAbs(statePath) {
			statePath = filepath.Join(f.Server.Dir, statePath)
		}
		if err := sentinelconf.LoadState(statePath, &f.Sentinel); err != nil {
			return nil, err
		}
		file, store = f, &sentinelconf.StateStore{Path: statePath}
	case len(args) >= 1 && !strings.HasPrefix(args[0], "-"):
		abs, err := filepath.Abs(args[0])
		if err != nil {
			return nil, fmt.Errorf("config path: %w", err)
		}
		path = abs
		rest, x, gerr := extraArgs(args[1:])
		if gerr != nil {
			return nil, gerr
		}
		f, err := sentinelconf.ParseFile(path)
		if err == nil {
			err = sentinelconf.ApplyArgs(f, rest)
		}
		if err == nil {
			f.Gossip, f.AgentCheck, f.Hooks, f.MetricsAddr = x.gossip, x.agent, x.hooks, x.metrics
		}
		if err != nil {
			var ce *sentinelconf.ConfigError
			if errors.As(err, &ce) {
				fmt.Fprint(stderr, ce.RedisFormat())
				return nil, shownError{err}
			}
			return nil, err
		}
		// Like redis-sentinel: no start without a config file we can rewrite.
		if err := checkWritable(path); err != nil {
			fmt.Fprintf(stderr, "Sentinel config file %s is not writable: %v. Exiting...\n", path, err)
			return nil, shownError{err}
		}
		file, store = f, &sentinelconf.ConfStore{Path: path, File: f}
	default:
		return nil, errors.New("Sentinel needs config file on disk to save state. Exiting...\n" + usage)
	}
	if file.Server.Dir != "" {
		if err := os.Chdir(file.Server.Dir); err != nil {
			return nil, fmt.Errorf("dir %s: %w", file.Server.Dir, err)
		}
	}
	logger, level, closer, err := newLogger(file.Server)
	if err != nil {
		return nil, err
	}
	a := &app{logger: logger, logClose: closer, pidfile: file.Server.Pidfile}
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
				logger.Error(l)
			}
			closer.Close()
			return nil, shownError{err}
		}
		closer.Close()
		return nil, err
	}
	if cs, ok := store.(*sentinelconf.ConfStore); ok {
		cs.Users = users.List
		if file.Server.ACLFile != "" {
			// Users live in the aclfile: the rewrite drops user lines.
			cs.Users = func() []string { return []string{} }
		}
	}
	opts := sentinel.Options{
		Store:       store,
		Logger:      logger,
		LogLevel:    level,
		RequirePass: file.Server.RequirePass,
	}
	var serverTLS *tls.Config
	if t := file.Server.TLS; t.Enabled() {
		if t.Port != 0 {
			if serverTLS, err = t.ServerConfig(); err != nil {
				return nil, fmt.Errorf("tls-port: %w", err)
			}
		}
		if t.Replication {
			if opts.TLS, err = t.ClientConfig(); err != nil {
				return nil, fmt.Errorf("tls-replication: %w", err)
			}
		}
	}
	if file.Gossip.Bind != "" {
		opts.Gossip = &sentinel.GossipOptions{
			Bind: file.Gossip.Bind, Advertise: file.Gossip.Advertise,
			Join: file.Gossip.Join, SecretKey: gossipKey(file.Gossip.Key),
		}
	}
	sent, err := sentinel.New(file.Sentinel, opts)
	if err != nil {
		return nil, err
	}
	a.sent = sent
	exe, _ := os.Executable()
	a.server = respserver.New(respserver.Config{
		Bind:          file.Server.Bind,
		Port:          file.Server.Port,
		RequirePass:   file.Server.RequirePass,
		Users:         file.Server.Users,
		ACL:           users,
		ACLFile:       file.Server.ACLFile,
		ProtectedMode: file.Server.ProtectedMode,
		TLS:           serverTLS,
		TLSPort:       file.Server.TLS.Port,
		ConfigFile:    path,
		Executable:    exe,
	}, sent, logger)
	if ac := file.AgentCheck; ac.Addr != "" {
		srv, err := agentcheck.New(agentcheck.Config{Addr: ac.Addr, DownWord: ac.DownWord},
			oracle{sent: sent, maxLag: ac.MaxLag}, logger)
		if err != nil {
			return nil, err
		}
		a.agent = srv
	}
	if file.MetricsAddr != "" {
		m, err := metrics.New(file.MetricsAddr, sent, logger)
		if err != nil {
			return nil, err
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
		runner, err := hooks.New(hooks.Config{Rules: rules, Journal: journal, Concurrency: h.Concurrency,
			Timeout: time.Duration(h.TimeoutMs) * time.Millisecond}, logger)
		if err != nil {
			return nil, err
		}
		a.hooks = runner
	}
	if sock := file.AgentCheck.HAProxySocket; sock != "" {
		a.pusher = &agentcheck.Pusher{Socket: sock, Logger: logger}
	}
	return a, nil
}

// oracle answers agent checks from the sentinel's view.
type oracle struct {
	sent   *sentinel.Sentinel
	maxLag int64
}

func (o oracle) AgentVerdict(master, addr string, read bool) agentcheck.Verdict {
	up, reason := o.sent.ServerVerdict(master, addr, read, o.maxLag)
	return agentcheck.Verdict{Up: up, Reason: reason}
}

func checkWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// newLogger logs to logfile (or stderr when empty), at redis's loglevel,
// which SENTINEL CONFIG SET loglevel changes through the LevelVar.
func newLogger(s sentinelconf.Server) (*slog.Logger, *slog.LevelVar, io.Closer, error) {
	var w io.Writer = os.Stderr
	var closer io.Closer = io.NopCloser(nil)
	if s.Logfile != "" {
		f, err := os.OpenFile(s.Logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("logfile: %w", err)
		}
		w, closer = f, f
	}
	level := new(slog.LevelVar)
	if l, ok := sentinel.LogLevelByName(s.Loglevel); ok {
		level.Set(l)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(s.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), level, closer, nil
}

// serve runs until ctx ends or a client sends SHUTDOWN.
func (a *app) serve(ctx context.Context) error {
	defer a.logClose.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.server.OnShutdown(cancel)
	if a.pidfile != "" {
		if err := os.WriteFile(a.pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			a.logger.Warn("cannot write pidfile", "path", a.pidfile, "err", err)
		}
		defer os.Remove(a.pidfile)
	}
	n := 2
	errc := make(chan error, 3)
	go func() { errc <- a.server.Serve(ctx) }()
	go func() { errc <- a.sent.Run(ctx) }()
	if a.agent != nil {
		n++
		go func() { errc <- a.agent.Serve(ctx) }()
	}
	if a.metrics != nil {
		n++
		go func() { errc <- a.metrics.Serve(ctx) }()
	}
	if a.hooks != nil {
		n++
		sub := a.sent.Events().Subscribe(4096)
		go func() {
			defer sub.Close()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); a.hooks.Run(ctx) }()
			for {
				select {
				case <-ctx.Done():
					wg.Wait()
					errc <- nil
					return
				case e := <-sub.C:
					if err := a.hooks.Handle(e.Type, e.Payload, e.Master); err != nil {
						a.logger.Error("hook not journaled", "event", e.Type, "err", err)
					}
				}
			}
		}()
	}
	if a.pusher != nil {
		n++
		sub := a.sent.Events().Subscribe(1024)
		go func() {
			defer sub.Close()
			for {
				select {
				case <-ctx.Done():
					errc <- nil
					return
				case e := <-sub.C:
					a.pusher.Apply(ctx, e.Type, e.Payload)
				}
			}
		}()
	}
	var first error
	for range n {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}
