package redislink

import (
	"context"
	"crypto/tls"
	"time"
)

// Conn is what a monitor needs from one Redis or sentinel instance. It is
// the seam between the monitoring logic and the network: unit tests use
// FakeNet's connections, e2e tests and production RedisDialer's links.
type Conn interface {
	// Do sends one command and returns its reply. A RESP error reply comes
	// back as an error IsReplyError recognises; any other error is a
	// transport failure.
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

// AsyncConn is a Conn that takes a callback instead of blocking a
// goroutine per command. The callback runs on another goroutine, never
// inside Send, so Send may be called with locks held that cb takes.
type AsyncConn interface {
	Send(timeout time.Duration, cb func(reply any, err error), args ...any)
}

// BufferedConn is an AsyncConn that can hold commands until Flush:
// SendBuffered queues the command without writing it and reports whether
// a Flush is needed (see WriteBatch).
type BufferedConn interface {
	SendBuffered(timeout time.Duration, cb func(reply any, err error), args ...any) bool
	Flush()
}

// Replier takes the replies of commands sent with SendTo, each with the
// tag it was sent with and the connection it came from: one value (the
// sender's instance) for every command, where a callback closure per
// command was an allocation or two each, ten thousand a second at 5,000
// masters.
type Replier interface {
	Reply(from Conn, tag int, reply any, err error)
}

// TaggedConn is a BufferedConn that takes a Replier and a tag instead of
// a callback; flush as Send (true) or SendBuffered (false), whose
// result it returns. Like a callback, r is never called inside SendTo.
type TaggedConn interface {
	BufferedConn
	SendTo(timeout time.Duration, r Replier, tag int, flush bool, args ...any) bool
}

// replyFunc is a callback as a Replier (a func in an interface costs no
// allocation).
type replyFunc func(any, error)

func (f replyFunc) Reply(_ Conn, _ int, reply any, err error) { f(reply, err) }

// LinkState is a Conn that knows whether it is connected. redis-sentinel's
// link shows "disconnected" only from a drop to the next connect attempt,
// which only the link itself can tell.
type LinkState interface {
	Connected() bool
}

// ConnOptions says how to reach an instance.
type ConnOptions struct {
	Addr       string // host:port, as net.JoinHostPort makes it
	Username   string
	Password   string
	ClientName string // CLIENT SETNAME on every connection, as redis-sentinel does
	TLS        *tls.Config
	Timeout    time.Duration // dial and per-command I/O bound
	// MinAge, when set, is redis-sentinel's min-link-reconnect-period
	// (SENTINEL DEBUG, read at each use so a change applies to open
	// connections): a connection whose replies are later than their
	// commands' timeout is kept until it is this old, counted from its
	// connect, instead of being dropped at once. It bounds the churn of
	// links to an instance that accepts connections but answers slowly
	// (a frozen or overloaded server, a cut that holds traffic): each
	// drop left one more connection in its backlog. A connect that does
	// not complete is still bounded by Timeout: nothing is gained by
	// waiting on it, and the next one succeeds as soon as the network
	// is back.
	MinAge func() time.Duration
}

// dropAt is when a connection whose connect began at born may be dropped
// for want of a reply (or, on a pub/sub link, of any traffic) due by d:
// at d, or not before it is MinAge old.
func (o *ConnOptions) dropAt(born, d time.Time) time.Time {
	if o.MinAge == nil {
		return d
	}
	if keep := born.Add(o.MinAge()); keep.After(d) {
		return keep
	}
	return d
}

// Dialer opens connections to instances. Subscribe opens a separate pub/sub
// connection on channel and reports to h until the returned stop is
// called; it returns at once and reconnects by itself. (A stop func rather
// than a context: a context and its AfterFunc per pub/sub link were most
// of a kilobyte per monitored instance.)
type Dialer interface {
	Dial(opts ConnOptions) Conn
	Subscribe(opts ConnOptions, channel string, h SubHandler) (stop func())
}

// SubHandler is told what happens on a pub/sub link. Each func may be nil.
type SubHandler struct {
	// Connected: a connection is open and the SUBSCRIBE sent. Like
	// redis-sentinel, which clears "disconnected" once both connections
	// are open, not when they are answered.
	Connected func()
	// Subscribed: the server confirmed the SUBSCRIBE.
	Subscribed func()
	// Message: one message on the channel (never empty). payload is
	// valid only during the call: it is the link's read buffer, not a
	// copy (at 5,000 masters thousands of hellos arrive a second, and
	// most say what the sender's last one said).
	Message func(payload []byte)
	// Dropped: the link is down (connect failed, the connection closed, or
	// the server refused the SUBSCRIBE, -NOAUTH or -NOPERM); a retry
	// follows. redis-sentinel shows the instance "disconnected" then.
	Dropped func()
	// Retry is asked a second after a drop, before the reconnect: false
	// ends the subscription without a dial (the owner stops it, and opens
	// another when it wants one). nil: always reconnect.
	Retry func() bool
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

func (h SubHandler) message(payload []byte) {
	if h.Message != nil {
		h.Message(payload)
	}
}

func (h SubHandler) dropped() {
	if h.Dropped != nil {
		h.Dropped()
	}
}

func (h SubHandler) retry() bool { return h.Retry == nil || h.Retry() }
