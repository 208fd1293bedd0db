package sentinel

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
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
// connection on channel and calls onMessage for every message until ctx is
// done; it reconnects by itself. onMessage gets an empty payload each time
// the subscription is confirmed (messages are never empty).
type Dialer interface {
	Dial(opts ConnOptions) Conn
	Subscribe(ctx context.Context, opts ConnOptions, channel string, onMessage func(payload string))
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
// small pub/sub client.
type RedisDialer struct{}

// Dial returns a lazily connecting command link.
func (RedisDialer) Dial(opts ConnOptions) Conn {
	return newPipeLink(opts)
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
// ends, reconnecting after a second when it drops. It is our own small
// client rather than go-redis's PubSub, whose connections carry fixed 32 KiB
// read and write buffers: with a pub/sub link per instance that was most of
// our memory, for messages of a hundred bytes.
func (RedisDialer) Subscribe(ctx context.Context, opts ConnOptions, channel string, onMessage func(string)) {
	for ctx.Err() == nil {
		subscribeOnce(ctx, opts, channel, onMessage)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func subscribeOnce(ctx context.Context, opts ConnOptions, channel string, onMessage func(string)) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	c, err := dialInstance(ctx, opts.Addr.String(), opts.TLS, timeout)
	if err != nil {
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	br := bufio.NewReaderSize(c, 1024)
	var req []byte
	hs := handshake(opts)
	for _, cmd := range hs {
		req = appendAnyCommand(req, cmd)
	}
	req = appendCommand(req, "SUBSCRIBE", channel)
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(req); err != nil {
		return
	}
	for range hs {
		v, err := readReply(br, 0)
		if err != nil {
			return
		}
		if e, ok := v.(replyErr); ok && strings.HasPrefix(string(e), "NOAUTH") {
			return
		}
	}
	c.SetDeadline(time.Time{})
	for {
		// Every sentinel, us included, publishes a hello on this channel
		// every few seconds: a long silence means a dead link that no RST
		// told us about (redis-sentinel drops such links too).
		c.SetReadDeadline(time.Now().Add(pubSubIdleLimit))
		v, err := readReply(br, 0)
		if err != nil {
			return
		}
		// ["message", channel, payload] or ["subscribe", channel, n].
		if a, ok := v.([]any); ok && len(a) == 3 {
			switch kind, _ := a[0].(string); kind {
			case "message":
				if payload, ok := a[2].(string); ok && payload != "" {
					onMessage(payload)
				}
			case "subscribe":
				onMessage("")
			}
		}
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

// replyErr is an error reply read by readReply: a value of the reply (the
// instance answered), and the error a command link hands to its caller,
// shaped like go-redis's so IsReplyError recognises either.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (e replyErr) RedisError()   {}

// maxPubSubBulk bounds what one message may make us allocate; hello
// messages are about a hundred bytes.
const maxPubSubBulk = 1 << 20

// readReply reads one RESP2 reply: strings, errors, integers, bulks and
// arrays (nested at most a few levels).
func readReply(br *bufio.Reader, depth int) (any, error) {
	return readReplyLimits(br, depth, maxPubSubBulk, 16)
}

// readReplyLimits reads one RESP2 reply, refusing bulks over maxBulk bytes
// and arrays over maxArray elements or nested deeper than 4.
func readReplyLimits(br *bufio.Reader, depth, maxBulk, maxArray int) (any, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, errors.New("resp: bad line")
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return replyErr(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk {
			return nil, errors.New("resp: bad bulk length")
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxArray || depth > 4 {
			return nil, errors.New("resp: bad array")
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for k := range out {
			if out[k], err = readReplyLimits(br, depth+1, maxBulk, maxArray); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errors.New("resp: unknown reply type")
}

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
