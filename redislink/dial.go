package redislink

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// RedisDialer is the production Dialer: pipelined command links and our
// small pub/sub client, served by Loop when set (the sentinel makes one
// and runs it), else by a reader goroutine per connection.
type RedisDialer struct {
	Loop *eventloop.Loop
	// Buffers, when set, are shared by the command links dialed (nil:
	// each link has its own).
	Buffers *Buffers
}

// Dial returns a lazily connecting command link.
func (d RedisDialer) Dial(opts ConnOptions) Conn {
	return newPipeLink(opts, d.Loop, d.Buffers)
}

// transport is a connection as links use it: an eventloop.Conn, or a
// net.Conn read by a goroutine of its own (netTransport).
type transport interface {
	Write(b []byte) (int, error)
	SetReadDeadline(t time.Time) error
	Close() error
}

// attach starts feeding what arrives on nc to h and returns how to write
// to it. TLS connections keep a reader goroutine: the event loop reads
// sockets, and TLS needs crypto/tls in between.
func attach(loop *eventloop.Loop, nc net.Conn, timeout time.Duration, h eventloop.Handler) (transport, error) {
	if _, ok := nc.(*net.TCPConn); ok && loop != nil {
		return loop.Add(nc, h)
	}
	go readInto(nc, h)
	return netTransport{nc, timeout}, nil
}

// netTransport bounds each write by the link's timeout.
type netTransport struct {
	net.Conn
	timeout time.Duration
}

func (t netTransport) Write(b []byte) (int, error) {
	t.SetWriteDeadline(time.Now().Add(t.timeout))
	return t.Conn.Write(b)
}

// readInto is the event loop's job done by a goroutine for one connection.
func readInto(nc net.Conn, h eventloop.Handler) {
	buf := make([]byte, 1024)
	for {
		n, err := nc.Read(buf)
		if n > 0 {
			h.Data(buf[:n])
		}
		if err != nil {
			nc.Close()
			h.Closed(err)
			return
		}
	}
}

// dialInstance connects to addr, with a TLS handshake when tlsCfg is set;
// both the command and the pub/sub links start here.
func dialInstance(ctx context.Context, addr string, tlsCfg *tls.Config, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil || tlsCfg == nil {
		return c, err
	}
	tc := tls.Client(c, tlsCfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// handshake is what redis-sentinel sends first on every link: AUTH when a
// password is set, then CLIENT SETNAME.
func handshake(opts ConnOptions) [][]any {
	var cmds [][]any
	if opts.Password != "" {
		if opts.Username != "" {
			cmds = append(cmds, []any{"AUTH", opts.Username, opts.Password})
		} else {
			cmds = append(cmds, []any{"AUTH", opts.Password})
		}
	}
	if opts.ClientName != "" {
		cmds = append(cmds, []any{"CLIENT", "SETNAME", opts.ClientName})
	}
	return cmds
}
