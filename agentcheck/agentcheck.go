// Package agentcheck answers HAProxy's agent-check from the quorum's view,
// so that HAProxy routes writes only to the master the sentinels agreed
// on, never to an old master that rebooted and claims to be master.
//
// HAProxy opens a connection per check, writes its agent-send text, and
// reads one line. We identify the server by that text:
//
//	agent-send "<master-name> <ip>:<port>\n"        write backend
//	agent-send "<master-name> <ip>:<port> read\n"   read backend
//
// The request "ping" gets "pong": the liveness probe of the health check
// in the generated haproxy.cfg (a dead agent must take the servers down,
// since HAProxy keeps the last agent verdict when the agent is silent).
//
// The master name may be "*" (any master with that address). Replies:
// "up ready" for the current master (or, in a read backend, a replica
// linked to it within the lag limit), and "down #reason" or
// "maint #reason" for everything else. Every reply ends in "\n": HAProxy
// ignores a line without one.
package agentcheck

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// The liveness probe: PingRequest gets PingReply, which is not an agent
// word (an agent-check that sent it would change nothing).
const (
	PingRequest = "ping"
	PingReply   = "pong"
)

// Verdict is what the quorum's view says of one server.
type Verdict struct {
	Up     bool
	Reason string // why not up (shown by HAProxy after '#')
}

// Oracle answers for a server; the sentinel implements it.
type Oracle interface {
	AgentVerdict(master, addr string, read bool) Verdict
}

// Config of the agent server.
type Config struct {
	Addr string // host:port to listen on
	// DownWord is what a non-master gets: "down" (default) or "maint".
	// maint stops HAProxy's own health check and shows the server as in
	// maintenance rather than failed; "up ready" undoes either.
	DownWord string
	// ReadTimeout bounds the wait for agent-send text.
	ReadTimeout time.Duration
}

// Server is the agent-check listener.
type Server struct {
	cfg    Config
	oracle Oracle
	logger *slog.Logger
	ln     net.Listener
}

// New checks cfg and opens the listener.
func New(cfg Config, oracle Oracle, logger *slog.Logger) (*Server, error) {
	switch cfg.DownWord {
	case "":
		cfg.DownWord = "down"
	case "down", "maint":
	default:
		return nil, fmt.Errorf("agent-check: down word %q must be down or maint", cfg.DownWord)
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = time.Second
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("agent-check listen %s: %w", cfg.Addr, err)
	}
	return &Server{cfg: cfg, oracle: oracle, logger: logger, ln: ln}, nil
}

// Addr is where the server listens.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers checks until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		s.ln.Close()
	}()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(c)
		}()
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	line, err := bufio.NewReaderSize(c, 512).ReadString('\n')
	c.SetWriteDeadline(time.Now().Add(time.Second))
	if err != nil && strings.TrimSpace(line) == "" {
		// No agent-send: we cannot tell which server this is.
		c.Write([]byte(s.cfg.DownWord + " #agent-send missing: use \"<master> <ip>:<port>\\n\"\n"))
		return
	}
	c.Write([]byte(s.Reply(line) + "\n"))
}

// Reply is the agent line for one agent-send text (without the newline).
func (s *Server) Reply(text string) string {
	if strings.TrimSpace(text) == PingRequest {
		return PingReply
	}
	master, addr, read, err := ParseRequest(text)
	if err != nil {
		return s.cfg.DownWord + " #" + err.Error()
	}
	v := s.oracle.AgentVerdict(master, addr, read)
	if v.Up {
		return "up ready"
	}
	reason := strings.NewReplacer("\n", " ", "\r", " ").Replace(v.Reason)
	return s.cfg.DownWord + " #" + reason
}

// ParseRequest reads "<master> <ip>:<port> [read]" (also "<ip>:<port>"
// alone, meaning any master).
func ParseRequest(text string) (master, addr string, read bool, err error) {
	f := strings.Fields(strings.TrimSpace(text))
	switch {
	case len(f) == 1:
		master, addr = "*", f[0]
	case len(f) == 2 || len(f) == 3:
		master, addr = f[0], f[1]
		if len(f) == 3 {
			if !strings.EqualFold(f[2], "read") {
				return "", "", false, fmt.Errorf("unknown mode %q", f[2])
			}
			read = true
		}
	default:
		return "", "", false, errors.New("expected \"<master> <ip>:<port> [read]\"")
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", false, fmt.Errorf("bad address %q", addr)
	}
	return master, addr, read, nil
}
