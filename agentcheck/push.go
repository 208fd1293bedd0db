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
)

// Pusher sets server states through HAProxy's runtime API (stats socket,
// level admin) the moment the sentinels change the master, so routing flips
// in milliseconds instead of at the next agent check. The agent stays the
// source of truth: a push that fails is corrected by the next check.
type Pusher struct {
	Socket string // unix socket path, or host:port
	Logger *slog.Logger
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
// down; on +convert-to-slave and +sdown/+odown of a master, that server
// goes down. Other events are ignored.
func (p *Pusher) Apply(ctx context.Context, typ, payload string) {
	logger := p.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var cmds []string
	f := strings.Fields(payload)
	switch typ {
	case "+switch-master":
		// <name> <old-ip> <old-port> <new-ip> <new-port>
		if len(f) != 5 {
			return
		}
		op, _ := strconv.Atoi(f[2])
		np, _ := strconv.Atoi(f[4])
		cmds = append(cmds,
			"set server "+f[0]+"/"+ServerName(f[3], np)+" agent up",
			"set server "+f[0]+"/"+ServerName(f[1], op)+" agent down")
	case "+convert-to-slave", "+odown":
		// slave <ip:port> <ip> <port> @ <name> ... | master <name> <ip> <port> ...
		if len(f) >= 6 && f[0] == "slave" && f[4] == "@" {
			port, _ := strconv.Atoi(f[3])
			cmds = append(cmds, "set server "+f[5]+"/"+ServerName(f[2], port)+" agent down")
		} else if len(f) >= 4 && f[0] == "master" {
			port, _ := strconv.Atoi(f[3])
			cmds = append(cmds, "set server "+f[1]+"/"+ServerName(f[2], port)+" agent down")
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
