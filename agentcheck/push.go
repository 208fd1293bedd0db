package agentcheck

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// Pusher sets server states through HAProxy's runtime API (stats socket,
// level admin) the moment the sentinels change the master, so routing flips
// in milliseconds instead of at the next agent check. The agent stays the
// source of truth: a push that fails is corrected by the next check.
// Apply and Retry are called from one goroutine.
type Pusher struct {
	Socket string // unix socket path, or host:port
	Logger *slog.Logger
	// Oracle, when set, must say "up" before a server is pushed up: the
	// push fails closed like the agent. A sentinel that learns of a new
	// master while the group does not (yet) agree on it leaves the server
	// as it is; the agent brings it up once the majority agrees. Pushes
	// down are never held back.
	Oracle Oracle

	// pending holds, per master, the new master held back for want of
	// agreement: Retry pushes it up the moment the oracle agrees (the
	// peers' hellos usually arrive within milliseconds of the switch),
	// instead of leaving it to the next agent check (agent-inter later).
	pending map[string]pendingUp
}

// pendingUp is a server to push up once the group agrees on it.
type pendingUp struct {
	addr, server string
	until        time.Time
}

// PendingFor is how long a held-back server is retried: after that the
// agent's own checks bring it up (or keep it down) as usual.
const PendingFor = 5 * time.Second

// RetryEvery is how often Retry should run while Pending says so.
const RetryEvery = 10 * time.Millisecond

// ServerName is how a Redis address is named in the generated haproxy.cfg
// ("10.0.0.1:6379" -> "10_0_0_1_6379"), so pushes find the same server.
func ServerName(host string, port int) string {
	return strings.NewReplacer(".", "_", ":", "_").Replace(host) + "_" + strconv.Itoa(port)
}

// Command sends one runtime API command and returns HAProxy's answer.
func (p *Pusher) Command(ctx context.Context, cmd string) (string, error) {
	network := "tcp"
	if strings.Contains(p.Socket, "/") {
		network = "unix"
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, network, p.Socket)
	if err != nil {
		return "", fmt.Errorf("haproxy runtime API %s: %w", p.Socket, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", fmt.Errorf("haproxy runtime API: %w", err)
	}
	out, err := io.ReadAll(c)
	if err != nil {
		return string(out), fmt.Errorf("haproxy runtime API: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// Apply turns one sentinel event into runtime API commands: on
// +switch-master the new master's agent is forced up and the old one's
// down; on +convert-to-slave and +odown, the instance's server (in its
// master's backend) goes down, and so does a master on our +sdown.
// Other events are ignored.
func (p *Pusher) Apply(ctx context.Context, e *event.Event) {
	p.push(ctx, p.commands(nil, e))
}

// ApplyAll is Apply for events that arrived together, their commands
// sent in as few runtime API connections as fit (see push).
func (p *Pusher) ApplyAll(ctx context.Context, es []*event.Event) {
	var cmds []string
	for _, e := range es {
		cmds = p.commands(cmds, e)
	}
	p.push(ctx, cmds)
}

// commands appends the runtime API commands for e to cmds.
func (p *Pusher) commands(cmds []string, e *event.Event) []string {
	switch e.Kind {
	case event.SwitchMaster:
		to := net.JoinHostPort(e.To.Host, strconv.Itoa(e.To.Port))
		up := setAgent(e.Master, e.To, "up")
		delete(p.pending, e.Master)
		if v := p.verdict(e.Master, to); v.Up {
			cmds = append(cmds, up)
		} else {
			p.logger().Info("haproxy push: new master held until the group agrees", "master", e.Master, "addr", to, "reason", v.Reason)
			if p.pending == nil {
				p.pending = map[string]pendingUp{}
			}
			p.pending[e.Master] = pendingUp{addr: to, server: up, until: time.Now().Add(PendingFor)}
		}
		cmds = append(cmds, setAgent(e.Master, e.From, "down"))
	case event.SDown, event.ODown, event.ConvertToSlave:
		switch in := e.Instance; {
		case in.Role == event.RoleMaster:
			// On our own +sdown too: the agent answers "master down" from
			// then on, and saying it now stops HAProxy sending new clients
			// to a dead master (each would wait in HAProxy's connect
			// retries) before the failover.
			cmds = append(cmds, setAgent(in.Name, in.Addr, "down"))
		case in.Role == event.RoleSlave && e.Kind != event.SDown:
			cmds = append(cmds, setAgent(in.MasterName, in.Addr, "down"))
		}
	}
	return cmds
}

// setAgent is the runtime API command that forces the agent state of
// the server at a in backend.
func setAgent(backend string, a event.Addr, state string) string {
	return "set server " + backend + "/" + ServerName(a.Host, a.Port) + " agent " + state
}

// logger is Logger, or a logger that drops everything.
func (p *Pusher) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// Pending reports whether a new master waits for the group's agreement
// (call Retry every RetryEvery while it does).
func (p *Pusher) Pending() bool { return len(p.pending) > 0 }

// Retry pushes up every held-back new master the oracle now agrees on,
// and drops those held longer than PendingFor.
func (p *Pusher) Retry(ctx context.Context) {
	now := time.Now()
	var cmds []string
	for master, pu := range p.pending {
		switch {
		case p.verdict(master, pu.addr).Up:
			cmds = append(cmds, pu.server)
			delete(p.pending, master)
		case now.After(pu.until):
			p.logger().Warn("haproxy push: the group did not agree on the new master; left to the agent check", "master", master, "addr", pu.addr)
			delete(p.pending, master)
		}
	}
	p.push(ctx, cmds)
}

// push sends cmds, several to a line separated by semicolons (the runtime
// API runs them in order, as if sent one by one) and one connection per
// line: a connection per command cost a connect, a write and a wait for
// HAProxy to close it each, 150 of them in a row when 50 masters fail
// over at once. A line stays under maxPushLine, well inside HAProxy's
// 16 kB request buffer.
func (p *Pusher) push(ctx context.Context, cmds []string) {
	for len(cmds) > 0 {
		n, size := 0, 0
		for n < len(cmds) && (n == 0 || size+1+len(cmds[n]) <= maxPushLine) {
			size += 1 + len(cmds[n])
			n++
		}
		line := strings.Join(cmds[:n], ";")
		out, err := p.Command(ctx, line)
		if err != nil || out != "" {
			p.logger().Warn("haproxy push", "cmd", line, "reply", out, "err", err)
		} else {
			p.logger().Info("haproxy push", "cmd", line)
		}
		cmds = cmds[n:]
	}
}

// maxPushLine bounds one runtime API line of pushed commands.
const maxPushLine = 4096

// verdict is the oracle's word on a write server, "up" without an oracle.
func (p *Pusher) verdict(master, addr string) Verdict {
	if p.Oracle == nil {
		return Verdict{Up: true}
	}
	return p.Oracle.AgentVerdict(master, addr, false)
}
