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
type Pusher struct {
	Socket string // unix socket path, or host:port
	Logger *slog.Logger
	// Oracle, when set, must say "up" before a server is pushed up: the
	// push fails closed like the agent. A sentinel that learns of a new
	// master while the group does not (yet) agree on it leaves the server
	// as it is; the agent brings it up once the majority agrees. Pushes
	// down are never held back.
	Oracle Oracle
}

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
// master's backend) goes down. Other events are ignored.
func (p *Pusher) Apply(ctx context.Context, e *event.Event) {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var cmds []string
	switch e.Kind {
	case event.SwitchMaster:
		to := net.JoinHostPort(e.To.Host, strconv.Itoa(e.To.Port))
		if v := p.verdict(e.Master, to); v.Up {
			cmds = append(cmds, "set server "+e.Master+"/"+ServerName(e.To.Host, e.To.Port)+" agent up")
		} else {
			logger.Warn("haproxy push: new master not pushed up", "master", e.Master, "addr", to, "reason", v.Reason)
		}
		cmds = append(cmds, "set server "+e.Master+"/"+ServerName(e.From.Host, e.From.Port)+" agent down")
	case event.ConvertToSlave, event.ODown:
		switch in := e.Instance; in.Role {
		case event.RoleSlave:
			cmds = append(cmds, "set server "+in.MasterName+"/"+ServerName(in.Addr.Host, in.Addr.Port)+" agent down")
		case event.RoleMaster:
			cmds = append(cmds, "set server "+in.Name+"/"+ServerName(in.Addr.Host, in.Addr.Port)+" agent down")
		}
	}
	for _, cmd := range cmds {
		out, err := p.Command(ctx, cmd)
		if err != nil || out != "" {
			logger.Warn("haproxy push", "cmd", cmd, "reply", out, "err", err)
			continue
		}
		logger.Info("haproxy push", "cmd", cmd)
	}
}

// verdict is the oracle's word on a write server, "up" without an oracle.
func (p *Pusher) verdict(master, addr string) Verdict {
	if p.Oracle == nil {
		return Verdict{Up: true}
	}
	return p.Oracle.AgentVerdict(master, addr, false)
}
