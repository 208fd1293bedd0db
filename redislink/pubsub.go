package redislink

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// Subscribe keeps a pub/sub connection subscribed to channel until stop is
// called, reconnecting after a second when it drops; it returns at once. It
// is our own small client rather than go-redis's PubSub, whose connections
// carry fixed 32 KiB read and write buffers: with a pub/sub link per
// instance that was most of our memory, for messages of a hundred bytes.
func (d RedisDialer) Subscribe(opts ConnOptions, channel string, h SubHandler) (stop func()) {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	s := &subscription{loop: d.Loop, opts: opts, channel: channel, h: h}
	if !s.connectOnLoop() {
		go s.connect()
	}
	return s.stop
}

// subscription is one Subscribe: at most one connection at a time, and a
// timer (not a goroutine) between a drop and the next attempt.
type subscription struct {
	loop    *eventloop.Loop
	opts    ConnOptions
	channel string
	h       SubHandler

	mu      sync.Mutex
	cur     *subConn
	stopped bool

	// cbMu orders a connection's "connected" before its "dropped": the
	// first comes from the goroutine that dialled, the second from the
	// event loop, and a refused SUBSCRIBE can be read and the connection
	// closed before the dialler gets to say it is connected. Delivered
	// the other way round, the owner saw a refused link as connected
	// until the next retry, a second later (an e2e scenario that watches
	// for "disconnected" saw it connected in 9 samples of 20).
	cbMu sync.Mutex
	// beforeConnected, when set (tests), runs between the request's
	// write and "connected": the window in which the reply can win.
	beforeConnected func()
}

func (s *subscription) connect() {
	if s.isStopped() || s.connectOnLoop() {
		return
	}
	// The dial is bounded by the timeout; a stop meanwhile is seen below,
	// under mu, and the new connection closed.
	nc, err := dialInstance(context.Background(), s.opts.Addr, s.opts.TLS, s.opts.Timeout)
	if err != nil {
		s.h.dropped()
		s.retry()
		return
	}
	h, req := s.newConn()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		nc.Close()
		return
	}
	if h.tr, err = attach(s.loop, nc, s.opts.Timeout, h); err != nil {
		s.mu.Unlock()
		s.h.dropped()
		s.retry()
		return
	}
	s.cur = h
	h.tr.SetReadDeadline(time.Now().Add(s.opts.Timeout))
	_, err = h.tr.Write(req)
	s.mu.Unlock()
	if err != nil {
		h.tr.Close()
		return
	}
	// The handler runs without s.mu: it takes its owner's locks (the
	// sentinel's group lock), and the owner calls stop under those
	// locks; calling it under s.mu deadlocked a sentinel that replaced
	// an instance's links while their pub/sub link was reconnecting
	// (seen at 1,000 masters). A stop in between makes this a late
	// "connected" of a stopped link, which the owner tells apart.
	if s.beforeConnected != nil {
		s.beforeConnected()
	}
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	s.mu.Lock()
	closed := h.closed
	s.mu.Unlock()
	if !closed {
		// Not closed yet: a Closed from now on waits for cbMu, so its
		// "dropped" comes after this.
		s.h.connected()
	}
}

// newConn makes a connection's handler and the request it starts with:
// the handshake (AUTH, CLIENT SETNAME) and the SUBSCRIBE.
func (s *subscription) newConn() (*subConn, []byte) {
	hs := handshake(s.opts)
	var req []byte
	for _, cmd := range hs {
		req = appendAnyCommand(req, cmd)
	}
	req = appendCommand(req, "SUBSCRIBE", s.channel)
	h := &subConn{s: s, handshakes: len(hs), born: time.Now(), rs: replyStream{maxBulk: maxPubSubBulk, maxArray: 16}}
	h.onReply = h.reply
	h.rs.peek = h.peekMessage
	return h, req
}

// connectOnLoop opens the connection through the event loop when it can
// (plain TCP to an IP address), as the command links do: no goroutine,
// context or poller registration per attempt, which at 1,000 dead masters
// was most of what the pub/sub redials cost. The request waits in the
// connection until the connect completes; the owner hears "connected"
// then (subConn.Connected), and a refused connect as a drop (Closed), both
// on the loop goroutine and so in order. False: dial instead.
func (s *subscription) connectOnLoop() bool {
	if s.loop == nil || s.opts.TLS != nil {
		return false
	}
	addr, err := netip.ParseAddrPort(s.opts.Addr)
	if err != nil {
		return false
	}
	h, req := s.newConn()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return true
	}
	tr, err := s.loop.Connect(addr, h)
	if err != nil {
		return false // the loop has ended: the dial reports it
	}
	h.tr, s.cur = tr, h
	// Bounds the connect as well: one not up by then ends as a drop.
	tr.SetReadDeadline(time.Now().Add(s.opts.Timeout))
	tr.Write(req)
	return true
}

func (s *subscription) retry() {
	if !s.isStopped() {
		time.AfterFunc(time.Second, s.reconnect)
	}
}

// reconnect dials again unless stopped meanwhile or the owner says not to
// (SubHandler.Retry).
func (s *subscription) reconnect() {
	if s.isStopped() || !s.h.retry() {
		return
	}
	s.connect()
}

func (s *subscription) isStopped() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
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
	handshakes int       // AUTH and SETNAME replies still to come
	closed     bool      // Closed ran (under s.mu): "connected" is not said any more
	born       time.Time // when the connect began, for ConnOptions.MinAge
}

// Connected is the event loop saying a connectOnLoop connect completed
// (the request goes out now): the SUBSCRIBE's reply is due a timeout
// from here, not from the start of a connect that waited its turn.
func (h *subConn) Connected() {
	s := h.s
	s.mu.Lock()
	if h.closed || s.cur != h {
		s.mu.Unlock()
		return
	}
	h.tr.SetReadDeadline(time.Now().Add(s.opts.Timeout))
	s.mu.Unlock()
	s.cbMu.Lock()
	defer s.cbMu.Unlock()
	s.h.connected()
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
	h.heard()
	switch kind, _ := a[0].(string); kind {
	case "message":
		if payload, ok := a[2].(string); ok && payload != "" {
			h.s.h.message([]byte(payload))
		}
	case "subscribe":
		h.s.h.subscribed()
	}
	return true
}

// peekMessage hands a message to the handler straight from the read
// buffer (replyStream.peek): parsed into values, each cost an array and
// a copy of the payload, thousands a second at 5,000 masters. Anything
// else, and a message before the handshake's replies are in, goes to
// reply.
func (h *subConn) peekMessage(b []byte) (int, bool) {
	if h.handshakes > 0 {
		return 0, true
	}
	payload, n := parseMessage(b, h.rs.maxBulk)
	if n == 0 {
		return 0, true
	}
	h.heard()
	if len(payload) > 0 {
		h.s.h.message(payload)
	}
	return n, true
}

// heard pushes the link's silence limit back. Every sentinel, us
// included, publishes a hello on this channel every few seconds: a long
// silence means a dead link that no RST told us about (redis-sentinel
// drops such links too, and not while they are younger than its
// min-link-reconnect-period: ConnOptions.MinAge).
func (h *subConn) heard() {
	h.tr.SetReadDeadline(h.s.opts.dropAt(h.born, time.Now().Add(pubSubIdleLimit)))
}

func (h *subConn) Closed(error) {
	s := h.s
	s.mu.Lock()
	if s.cur == h {
		s.cur = nil
	}
	h.closed = true
	stopped := s.stopped
	s.mu.Unlock()
	if !stopped {
		s.cbMu.Lock()
		s.h.dropped()
		s.cbMu.Unlock()
		s.retry()
	}
}

// pubSubIdleLimit is how long a pub/sub link may stay silent.
const pubSubIdleLimit = 15 * time.Second

// maxPubSubBulk bounds what one message may make us allocate; hello
// messages are about a hundred bytes.
const maxPubSubBulk = 1 << 20
