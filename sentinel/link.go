package sentinel

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// Conn is what a monitor needs from one Redis or sentinel instance. It is
// the seam between the monitoring logic and go-redis: unit tests use a fake,
// e2e tests and production use pipeLink.
type Conn interface {
	// Do sends one command and returns its reply. A RESP error reply comes
	// back as a replyError (see IsReplyError); anything else is a transport
	// failure.
	Do(ctx context.Context, args ...any) (any, error)
	// LocalIP is the address our side of the command connection is bound
	// to, announced in hello when no announce-ip is set ("" if unknown).
	LocalIP() string
	Close() error
}

// TxConn is a Conn that can run several commands on one connection, which
// MULTI/EXEC needs (a pooled Do may use a different connection each time).
type TxConn interface {
	Tx(ctx context.Context, cmds [][]any) error
}

// ConnOptions says how to reach an instance.
type ConnOptions struct {
	Addr       Addr
	Username   string
	Password   string
	ClientName string // CLIENT SETNAME on every connection, as redis-sentinel does
	TLS        *tls.Config
	Timeout    time.Duration // dial and per-command I/O bound
}

// Dialer opens connections to instances. Subscribe opens a separate pub/sub
// connection on channel and reports to h until ctx is done; it returns at
// once and reconnects by itself.
type Dialer interface {
	Dial(opts ConnOptions) Conn
	Subscribe(ctx context.Context, opts ConnOptions, channel string, h SubHandler)
}

// SubHandler is told what happens on a pub/sub link. Each func may be nil.
type SubHandler struct {
	// Connected: a connection is open and the SUBSCRIBE sent. Like
	// redis-sentinel, which clears "disconnected" once both connections
	// are open, not when they are answered.
	Connected func()
	// Subscribed: the server confirmed the SUBSCRIBE.
	Subscribed func()
	// Message: one message on the channel (never empty).
	Message func(payload string)
	// Dropped: the link is down (connect failed, the connection closed, or
	// the server refused the SUBSCRIBE, -NOAUTH or -NOPERM); a retry
	// follows. redis-sentinel shows the instance "disconnected" then.
	Dropped func()
}

func (h SubHandler) connected() {
	if h.Connected != nil {
		h.Connected()
	}
}

func (h SubHandler) subscribed() {
	if h.Subscribed != nil {
		h.Subscribed()
	}
}

func (h SubHandler) message(payload string) {
	if h.Message != nil {
		h.Message(payload)
	}
}

func (h SubHandler) dropped() {
	if h.Dropped != nil {
		h.Dropped()
	}
}

// replyError is what a RESP error reply looks like as an error (the shape
// go-redis uses too, so either client's errors are recognised).
type replyError interface {
	error
	RedisError()
}

// IsReplyError reports whether err is a RESP error reply (the instance
// answered) rather than a transport failure.
func IsReplyError(err error) bool {
	var re replyError
	return errors.As(err, &re) && !isNetErr(err)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// RedisDialer is the production Dialer: pipeLink command links and our
// small pub/sub client, served by Loop when set (Sentinel.New makes one and
// Sentinel.Run runs it), else by a reader goroutine per connection.
type RedisDialer struct {
	Loop *eventloop.Loop
}

// Dial returns a lazily connecting command link.
func (d RedisDialer) Dial(opts ConnOptions) Conn {
	return newPipeLink(opts, d.Loop)
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

// Subscribe keeps a pub/sub connection subscribed to channel until ctx
// ends, reconnecting after a second when it drops; it returns at once. It
// is our own small client rather than go-redis's PubSub, whose connections
// carry fixed 32 KiB read and write buffers: with a pub/sub link per
// instance that was most of our memory, for messages of a hundred bytes.
func (d RedisDialer) Subscribe(ctx context.Context, opts ConnOptions, channel string, h SubHandler) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	s := &subscription{loop: d.Loop, ctx: ctx, opts: opts, channel: channel, h: h}
	context.AfterFunc(ctx, s.stop)
	go s.connect()
}

// subscription is one Subscribe: at most one connection at a time, and a
// timer (not a goroutine) between a drop and the next attempt.
type subscription struct {
	loop    *eventloop.Loop
	ctx     context.Context
	opts    ConnOptions
	channel string
	h       SubHandler

	mu      sync.Mutex
	cur     *subConn
	stopped bool
}

func (s *subscription) connect() {
	if s.ctx.Err() != nil {
		return
	}
	nc, err := dialInstance(s.ctx, s.opts.Addr.String(), s.opts.TLS, s.opts.Timeout)
	if err != nil {
		s.h.dropped()
		s.retry()
		return
	}
	hs := handshake(s.opts)
	var req []byte
	for _, cmd := range hs {
		req = appendAnyCommand(req, cmd)
	}
	req = appendCommand(req, "SUBSCRIBE", s.channel)
	h := &subConn{s: s, handshakes: len(hs), rs: replyStream{maxBulk: maxPubSubBulk, maxArray: 16}}
	h.onReply = h.reply
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		nc.Close()
		return
	}
	if h.tr, err = attach(s.loop, nc, s.opts.Timeout, h); err != nil {
		s.h.dropped()
		s.retry()
		return
	}
	s.cur = h
	h.tr.SetReadDeadline(time.Now().Add(s.opts.Timeout))
	if _, err := h.tr.Write(req); err != nil {
		h.tr.Close()
		return
	}
	s.h.connected()
}

func (s *subscription) retry() {
	if s.ctx.Err() == nil {
		time.AfterFunc(time.Second, s.connect)
	}
}

func (s *subscription) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.cur != nil {
		s.cur.tr.Close()
	}
}

// subConn is one connection of a subscription.
type subConn struct {
	s          *subscription
	tr         transport
	rs         replyStream
	onReply    func(any) bool
	handshakes int // AUTH and SETNAME replies still to come
}

func (h *subConn) Data(b []byte) {
	// connect sets h.tr under s.mu after attach, and a server that talks
	// first (an error at accept, garbage) can be read before that.
	h.s.mu.Lock()
	h.s.mu.Unlock()
	if err := h.rs.feed(b, h.onReply); err != nil {
		h.tr.Close()
	}
}

func (h *subConn) reply(v any) bool {
	if h.handshakes > 0 {
		h.handshakes--
		if e, ok := v.(replyErr); ok && strings.HasPrefix(string(e), "NOAUTH") {
			h.tr.Close()
			return false
		}
		return true
	}
	if _, ok := v.(replyErr); ok {
		// The SUBSCRIBE itself was refused (-NOAUTH after a wrong
		// password, -NOPERM for the channel). hiredis closes a
		// connection on an error nobody waits for, so redis-sentinel's
		// pub/sub link drops and the instance shows "disconnected" until
		// a reconnect succeeds; so does ours.
		h.tr.Close()
		return false
	}
	// ["message", channel, payload] or ["subscribe", channel, n].
	a, ok := v.([]any)
	if !ok || len(a) != 3 {
		return true
	}
	// Every sentinel, us included, publishes a hello on this channel
	// every few seconds: a long silence means a dead link that no RST
	// told us about (redis-sentinel drops such links too).
	h.tr.SetReadDeadline(time.Now().Add(pubSubIdleLimit))
	switch kind, _ := a[0].(string); kind {
	case "message":
		if payload, ok := a[2].(string); ok && payload != "" {
			h.s.h.message(payload)
		}
	case "subscribe":
		h.s.h.subscribed()
	}
	return true
}

func (h *subConn) Closed(error) {
	s := h.s
	s.mu.Lock()
	if s.cur == h {
		s.cur = nil
	}
	stopped := s.stopped
	s.mu.Unlock()
	if !stopped {
		s.h.dropped()
		s.retry()
	}
}

func appendCommand(b []byte, args ...string) []byte {
	b = appendArrayHeader(b, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	return b
}

func appendArrayHeader(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// pubSubIdleLimit is how long a pub/sub link may stay silent.
const pubSubIdleLimit = 15 * time.Second

// replyErr is an error reply as parseReply returns it: a value of the reply (the
// instance answered), and the error a command link hands to its caller,
// shaped like go-redis's so IsReplyError recognises either.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (e replyErr) RedisError()   {}

// maxPubSubBulk bounds what one message may make us allocate; hello
// messages are about a hundred bytes.
const maxPubSubBulk = 1 << 20

// replyString turns a simple reply into its text, "" when it is not one.
func replyString(v any) string {
	switch r := v.(type) {
	case string:
		return r
	case []byte:
		return string(r)
	}
	return ""
}

// errorText returns the RESP error text of a reply error ("LOADING ...").
func errorText(err error) string {
	var re replyError
	if errors.As(err, &re) {
		return strings.TrimPrefix(re.Error(), "-")
	}
	return ""
}
