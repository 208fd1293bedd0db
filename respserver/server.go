// Package respserver is the RESP face of the sentinel: the commands
// redis-sentinel 7.0 accepts, with its reply shapes and error texts, over
// RESP2 and RESP3, including pub/sub of sentinel events.
//
// Replies are encoded with tidwall/redcon's writer. Requests are read by our
// own reader because redcon's has no limits: redis answers a lying bulk
// header, an oversized inline request or an unauthenticated large request
// with a protocol error and closes, and a drop-in must do the same without
// ever allocating what a header claims.
package respserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/event"
	"golang.org/x/time/rate"
)

// Config is how the server listens and whom it lets in.
type Config struct {
	Bind []string // addresses; empty means all interfaces
	Port int
	// UnixSocket, when set, is listened on too (with port 0, alone);
	// UnixSocketPerm are its permissions, 0 leaving the umask's.
	UnixSocket     string
	UnixSocketPerm os.FileMode
	RequirePass    string   // password of the default user
	Users          []string // redis "user" directives, without the leading "user", quoted as in the file
	// ACL, when set, is the user table (built with NewACL, so that a bad
	// user fails the start before anything listens); otherwise New builds
	// one from RequirePass, Users and ACLOptions.
	ACL        *acl.Table
	ACLOptions acl.Options
	// ACLFile is redis's aclfile: where ACL LOAD reads and ACL SAVE
	// writes the users ("" when users live in the config file).
	ACLFile string
	// ACLFrozen, when set, is why ACL SETUSER and DELUSER are refused:
	// with a YAML config nothing would keep the change over a restart,
	// and a change that silently disappears is worse than none.
	ACLFrozen  string
	ConfigFile string // for INFO
	Executable string // for INFO
	Supervised string // for INFO process_supervised: "upstart", "systemd"; "" is "no"
	Limits     Limits // zero value means DefaultLimits
	// Renames is rename-command: a command's name -> its new name, ""
	// when the command is removed.
	Renames map[string]string
	// WriteTimeout closes a client that does not read its replies.
	WriteTimeout time.Duration
	// ProtectedMode refuses clients from other hosts while the default
	// user needs no password, as redis does (redis-sentinel turns it off
	// by default; "protected-mode yes" in the config turns it on).
	ProtectedMode bool
	// TLS, when set, serves TLS on TLSPort (both ports may be open).
	TLS     *tls.Config
	TLSPort int
}

// Server serves RESP clients until its context ends.
type Server struct {
	cfg     Config
	backend Backend
	logger  *slog.Logger
	acl     *acl.Table
	// setupErr is a user table or command table that could not be built:
	// Listen returns it, so the start fails instead of serving without
	// the configured permissions.
	setupErr error
	// The COMMAND tables, parsed on first use (commandTab): ~0.5 MB of
	// heap that only the COMMAND command needs.
	cmdOnce  sync.Once
	cmdTab   *commandTable
	cmdTable map[string]*command
	started  time.Time

	mu         sync.Mutex
	clients    map[int64]*client
	listeners  []net.Listener
	onShutdown func()

	paused pauseState // CLIENT PAUSE

	reclaim   *reclaimer    // memory back to the OS after large requests
	bufs      *sync.Pool    // input buffers between reads (idleread.go)
	authFails *rate.Limiter // pacing of failed AUTHs (authrate.go); nil: none

	nextID   atomic.Int64
	stats    stats
	shutdown atomic.Bool
}

type stats struct {
	connections atomic.Int64
	commands    atomic.Int64
	rejected    atomic.Int64
	errors      atomic.Int64
	netIn       atomic.Int64
	netOut      atomic.Int64
}

// New builds a server; Serve starts it.
func New(cfg Config, backend Backend, logger *slog.Logger) *Server {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		backend:  backend,
		logger:   logger,
		acl:      cfg.ACL,
		cmdTable: buildTable(),
		clients:  map[int64]*client{},
		started:  time.Now(),
		reclaim:  newReclaimer(),
		bufs:     newBufPool(),
	}
	s.authFails = newAuthLimiter(cfg.Limits)
	if s.acl == nil {
		s.acl, s.setupErr = NewACL(cfg.RequirePass, cfg.Users, cfg.ACLFile, cfg.ACLOptions)
	}
	if s.setupErr == nil {
		s.setupErr = attachACL(s.cmdTable, s.acl.Catalog())
	}
	// Renamed after the ACL rules are attached: they name commands by
	// their original names, as in redis.
	s.cmdTable = renameCommands(s.cmdTable, cfg.Renames)
	if s.setupErr != nil {
		// Listen fails; should anything still reach execute, nobody
		// gets in: the only user is a disabled default.
		cat, _ := acl.NewCatalog(nil)
		s.acl = acl.NewTable(cat, acl.Options{})
		_ = s.acl.Load([][]string{{"default", "off"}})
	}
	return s
}

// OnShutdown sets what SHUTDOWN does (normally: cancel the process context).
func (s *Server) OnShutdown(fn func()) {
	s.mu.Lock()
	s.onShutdown = fn
	s.mu.Unlock()
}

// Listen opens the listeners; Serve calls it when it was not called before.
// Splitting the two lets callers learn the port (Addr) before serving.
func (s *Server) Listen() error {
	if s.setupErr != nil {
		return s.setupErr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) > 0 {
		return nil
	}
	if err := applyFDLimit(&s.cfg.Limits, s.logger); err != nil {
		return err
	}
	binds := s.cfg.Bind
	if len(binds) == 0 {
		binds = []string{""}
	}
	// "port 0" with a tls-port means TLS only, as in redis.
	withTLS := s.cfg.TLS != nil && s.cfg.TLSPort != 0
	tlsOnly := s.cfg.Port == 0 && withTLS
	listen := func(b string, port int) (net.Listener, error) {
		ln, err := listenTCP(net.JoinHostPort(stripOptional(b), strconv.Itoa(port)), s.cfg.Limits.TCPBacklog, s.cfg.Limits.TCPKeepalive)
		if err != nil {
			for _, l := range s.listeners {
				l.Close()
			}
			s.listeners = nil
			return nil, fmt.Errorf("listen on %s:%d: %w", b, port, err)
		}
		return ln, nil
	}
	if s.cfg.UnixSocket != "" {
		ln, err := listenUnix(s.cfg.UnixSocket, s.cfg.UnixSocketPerm)
		if err != nil {
			return err
		}
		s.listeners = append(s.listeners, ln)
		if s.cfg.Port == 0 && !withTLS {
			return nil // unix socket only, as redis with port 0
		}
	}
	for _, b := range binds {
		if !tlsOnly {
			ln, err := listen(b, s.cfg.Port)
			if err != nil {
				return err
			}
			s.listeners = append(s.listeners, ln)
		}
		if withTLS {
			ln, err := listen(b, s.cfg.TLSPort)
			if err != nil {
				return fmt.Errorf("tls-port: %w", err)
			}
			s.listeners = append(s.listeners, tls.NewListener(ln, s.cfg.TLS))
		}
	}
	return nil
}

// stripOptional drops redis's "-" prefix that marks a bind address as
// optional ("bind * -::*").
func stripOptional(b string) string {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if b == "*" {
		return ""
	}
	return b
}

// Addr is the first listener's address (after Listen).
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.listeners) == 0 {
		return nil
	}
	return s.listeners[0].Addr()
}

// Serve accepts clients until ctx ends, then closes every connection.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	sub := s.backend.Events().Subscribe(4096)
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.reclaim.run(ctx)
	}()
	go func() {
		defer wg.Done()
		s.dispatchEvents(ctx, sub)
	}()
	s.mu.Lock()
	lns := append([]net.Listener(nil), s.listeners...)
	s.mu.Unlock()
	errc := make(chan error, len(lns))
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- s.acceptLoop(ctx, ln, &wg)
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	sub.Close()
	for _, ln := range lns {
		ln.Close()
	}
	s.mu.Lock()
	for _, c := range s.clients {
		c.conn.Close()
	}
	s.mu.Unlock()
	wg.Wait()
	return err
}

func (s *Server) acceptLoop(ctx context.Context, ln net.Listener, wg *sync.WaitGroup) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// Out of file descriptors and the like: back off, keep serving.
			s.logger.Warn("accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
				continue
			case <-ctx.Done():
				return nil
			}
		}
		s.stats.connections.Add(1)
		if s.cfg.ProtectedMode && s.defaultOpen() && !isLoopback(nc.RemoteAddr()) {
			s.stats.rejected.Add(1)
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte(protectedModeDenied))
			nc.Close()
			continue
		}
		c := s.newClient(nc)
		if !s.register(c) {
			s.stats.rejected.Add(1)
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte("-ERR max number of clients reached\r\n"))
			nc.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.unregister(c)
			c.serve(ctx)
		}()
	}
}

func (s *Server) register(c *client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.clients) >= s.cfg.Limits.MaxClients {
		return false
	}
	s.clients[c.id] = c
	return true
}

func (s *Server) unregister(c *client) {
	s.mu.Lock()
	delete(s.clients, c.id)
	s.mu.Unlock()
}

// clientList is a stable copy of the connected clients, oldest first.
// clientByID is the connected client with that id, or nil.
func (s *Server) clientByID(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

func (s *Server) clientList() []*client {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sortClients(out)
	return out
}

// dispatchEvents fans sentinel events out to subscribed clients. A client
// that cannot keep up is disconnected, as redis does when a pub/sub client
// passes its output buffer limit; the monitor itself never waits.
func (s *Server) dispatchEvents(ctx context.Context, sub *event.Subscription) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-sub.C:
			if !ok {
				return
			}
			if e.Level == event.LevelDebug {
				// redis-sentinel logs its debug events (+script-child,
				// -cmd-link-reconnection, ...) and publishes none.
				continue
			}
			s.mu.Lock()
			subs := make([]*client, 0, 8)
			for _, c := range s.clients {
				if c.subscribed.Load() {
					subs = append(subs, c)
				}
			}
			s.mu.Unlock()
			if len(subs) == 0 {
				continue
			}
			// The wire form once per event, not once per client.
			channel, payload := string(e.Kind), e.Payload()
			for _, c := range subs {
				c.deliver(channel, payload)
			}
		}
	}
}

func (s *Server) requestShutdown() {
	s.shutdown.Store(true)
	s.mu.Lock()
	fn := s.onShutdown
	s.mu.Unlock()
	if fn != nil {
		fn()
	}
}
