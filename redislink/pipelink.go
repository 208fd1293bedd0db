package redislink

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// The sentinel finds these by type assertion on a Conn; without the
// checks a changed signature would silently fall back to slower paths.
var (
	_ Conn         = (*pipeLink)(nil)
	_ TxConn       = (*pipeLink)(nil)
	_ AsyncConn    = (*pipeLink)(nil)
	_ BufferedConn = (*pipeLink)(nil)
	_ LinkState    = (*pipeLink)(nil)
	_ TaggedConn   = (*pipeLink)(nil)

	_ eventloop.Connecter = (*pipeConn)(nil)
	_ Dialer              = RedisDialer{}
)

// pipeLink is the command link to one instance: commands are written in
// order on one connection and each reply goes to the callback of the
// command it answers, as hiredis does for redis-sentinel. go-redis, which
// it replaces here, blocks a goroutine per command in flight, allocates a
// context, a command object and a pool per link, and showed as most of our
// idle CPU at thousands of links. Replies are read by the sentinel's event
// loop (or, for TLS and without a loop, a goroutine per connection), and
// callbacks run there.
//
// The connection is opened lazily (in the background: Send never blocks on
// a dial) and dropped on any transport error or when a reply is later than
// the command's timeout; the next command dials again.
type pipeLink struct {
	opts ConnOptions
	loop *eventloop.Loop // nil: a reader goroutine per connection
	bufs *Buffers        // where commands are encoded when written

	mu      sync.Mutex
	cur     *pipeConn // nil while not connected
	dialing bool
	queued  []linkCmd // waiting for the dial
	// pending[head:] wait for a reply, oldest first; pending[unsent:]
	// are not written yet (SendBuffered): they are encoded when
	// written, so a link holds no output buffer between ticks (256
	// bytes a link, 1.3 MB at 5,000 masters). Replies advance head
	// instead of reslicing, so a busy link reuses its array: a peer
	// link shared by thousands of masters otherwise allocated a new one
	// per tick.
	pending []linkCmd
	head    int
	unsent  int
	local   string
	closed  bool
	// up mirrors cur != nil || dialing for Connected, which is read under
	// the group's lock and so must not take mu.
	up atomic.Bool
}

type linkCmd struct {
	args     []any
	r        Replier // gets the reply, with tag
	tag      int
	deadline time.Time
}

// reply hands c's reply (or error) to its Replier.
func (c *linkCmd) reply(l *pipeLink, v any, err error) { c.r.Reply(l, c.tag, v, err) }

// errLinkClosed fails commands sent after Close.
var errLinkClosed = errors.New("link closed")

func newPipeLink(opts ConnOptions, loop *eventloop.Loop, bufs *Buffers) *pipeLink {
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if bufs == nil {
		bufs = &Buffers{}
	}
	return &pipeLink{opts: opts, loop: loop, bufs: bufs}
}

// Send queues one command; cb gets its reply (a RESP error reply as a
// reply error, see IsReplyError) or the transport error.
func (l *pipeLink) Send(timeout time.Duration, cb func(any, error), args ...any) {
	l.send(timeout, replyFunc(cb), 0, true, args)
}

// SendBuffered is Send without the write: the command waits in the link's
// buffer until Flush (or the next Send). It reports whether Flush is
// needed. The tick sends everything due on all links this way and then
// flushes each link once, so a peer that watches fifty masters with us
// gets one write per tick, not one per master.
func (l *pipeLink) SendBuffered(timeout time.Duration, cb func(any, error), args ...any) bool {
	return l.send(timeout, replyFunc(cb), 0, false, args)
}

// SendTo is Send (flush) or SendBuffered with r and tag for a callback.
func (l *pipeLink) SendTo(timeout time.Duration, r Replier, tag int, flush bool, args ...any) bool {
	return l.send(timeout, r, tag, flush, args)
}

func (l *pipeLink) send(timeout time.Duration, r Replier, tag int, flush bool, args []any) bool {
	if timeout <= 0 {
		timeout = l.opts.Timeout
	}
	c := linkCmd{args: args, r: r, tag: tag, deadline: time.Now().Add(timeout)}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		// (Not c.reply: a go statement on c would move every c to
		// the heap, an allocation per command.)
		go r.Reply(l, tag, nil, errLinkClosed)
		return false
	}
	if l.cur == nil && !l.connectLocked() {
		l.queued = append(l.queued, c)
		if !l.dialing {
			l.dialing = true
			l.up.Store(true)
			go l.dial()
		}
		return false
	}
	l.writeLocked(c, flush)
	return !flush
}

// Flush writes what SendBuffered left in the buffer.
func (l *pipeLink) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLocked()
}

// writeLocked registers c for its reply and, with flush, writes every
// command not written yet.
func (l *pipeLink) writeLocked(c linkCmd, flush bool) {
	if len(l.pending) == cap(l.pending) && l.head > 0 {
		// Full, but replies freed the front: move the rest down
		// rather than grow.
		n := copy(l.pending, l.pending[l.head:])
		clear(l.pending[n:])
		l.pending, l.unsent, l.head = l.pending[:n], l.unsent-l.head, 0
	}
	if cap(l.pending) == 0 {
		l.pending = l.bufs.getCmds()
	}
	l.pending = append(l.pending, c)
	if len(l.pending)-l.head == 1 {
		l.cur.tr.SetReadDeadline(l.cur.readDeadline(c.deadline))
	}
	if flush {
		l.flushLocked()
	}
}

// flushLocked encodes and writes the commands not written yet, in one
// write, or in writes of about writeChunk bytes when there are more. A
// write error drops the connection, failing everything in flight.
func (l *pipeLink) flushLocked() {
	if l.cur == nil || l.unsent == len(l.pending) {
		return
	}
	b := l.bufs.get()
	defer l.bufs.put(b)
	for k, c := range l.pending[l.unsent:] {
		b.b = appendAnyCommand(b.b, c.args)
		if len(b.b) < writeChunk && k < len(l.pending)-l.unsent-1 {
			continue
		}
		// What the socket does not take now, the transport copies.
		if _, err := l.cur.tr.Write(b.b); err != nil {
			l.unsent = len(l.pending)
			l.cur.tr.Close() // Closed fails every pending command
			return
		}
		b.b = b.b[:0]
	}
	l.unsent = len(l.pending)
}

// writeChunk is about the most a link encodes before writing. The
// masters' hellos to a peer fall due in the same tick, every publish
// period: at 5,000 masters a megabyte for one peer link, and a buffer
// that size allocated anew at every burst (too big to keep).
const writeChunk = 16 << 10

// A drained link keeps its array of commands in flight when it has room
// for pendingKeepMin to pendingKeepMax: a busy link's is reused (a peer
// link shared by 5,000 masters carries 5,000 hellos in the tick they all
// fall due: an array of 300 KB, 1 MB of allocations to grow it every
// publish period); a master's or replica's (a PING and a hello at a time)
// goes back to the Buffers between ticks (smallPending); a larger one
// came from a burst.
const (
	pendingKeepMin = 16
	pendingKeepMax = 8192
)

func (l *pipeLink) dial() {
	nc, err := dialInstance(context.Background(), l.opts.Addr, l.opts.TLS, l.opts.Timeout)
	l.mu.Lock()
	queued := l.queued
	l.queued, l.dialing = nil, false
	var h *pipeConn
	if err == nil && l.closed {
		nc.Close()
		err = errLinkClosed
	}
	if err == nil {
		local := ""
		if ta, ok := localTCPAddr(nc); ok {
			local = ta.IP.String()
		}
		h = newPipeConn(l)
		if h.tr, err = attach(l.loop, nc, l.opts.Timeout, h); err == nil {
			l.cur, l.local, h.up = h, local, true
		}
	}
	l.up.Store(l.cur != nil)
	if err != nil {
		l.mu.Unlock()
		for _, c := range queued {
			c.reply(l, nil, err)
		}
		return
	}
	l.handshakeLocked()
	for _, c := range queued {
		l.writeLocked(c, false)
	}
	l.flushLocked()
	l.mu.Unlock()
}

// connectLocked opens the connection through the event loop when it can
// (plain TCP to an IP address) and starts it with the handshake. The
// commands that follow are written into the connection at once and go out
// when it is up; a refused connect fails them as a drop does. A host name
// or TLS is dialled by a goroutine (dial) instead.
func (l *pipeLink) connectLocked() bool {
	if l.loop == nil || l.opts.TLS != nil || l.dialing || l.closed {
		return false
	}
	addr, err := netip.ParseAddrPort(l.opts.Addr)
	if err != nil {
		return false
	}
	h := newPipeConn(l)
	tr, err := l.loop.Connect(addr, h)
	if err != nil {
		return false // the loop has ended: dial reports it
	}
	h.tr = tr
	l.cur, l.local = h, tr.LocalIP()
	l.up.Store(true)
	l.handshakeLocked()
	return true
}

// handshakeLocked writes, as redis-sentinel does first on a new
// connection, AUTH when a password is set and CLIENT SETNAME. A refused
// AUTH shows as an error reply to the commands behind it.
func (l *pipeLink) handshakeLocked() {
	deadline := time.Now().Add(l.opts.Timeout)
	ignore := replyFunc(func(any, error) {})
	for _, cmd := range handshake(l.opts) {
		l.writeLocked(linkCmd{args: cmd, r: ignore, deadline: deadline}, false)
	}
}

func newPipeConn(l *pipeLink) *pipeConn {
	h := &pipeConn{l: l, born: time.Now(), rs: replyStream{maxBulk: maxCommandBulk, maxArray: maxCommandArray}}
	h.onReply = h.reply
	return h
}

func localTCPAddr(nc net.Conn) (*net.TCPAddr, bool) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	ta, ok := nc.LocalAddr().(*net.TCPAddr)
	return ta, ok
}

// pipeConn is one connection of a pipeLink, the handler its bytes go to.
// A link that reconnects has a new one, so a late event of an old
// connection cannot touch the new one's commands.
type pipeConn struct {
	l       *pipeLink
	tr      transport
	rs      replyStream
	onReply func(any) bool
	err     error // why we closed it, for the commands it fails
	// born is when the connect began; up, that it completed (under
	// l.mu). Together they give readDeadline the connection's age.
	born time.Time
	up   bool
}

func (h *pipeConn) Data(b []byte) {
	if err := h.rs.feed(b, h.onReply); err != nil {
		h.fail(err)
	}
}

// reply hands one reply to the oldest command in flight.
func (h *pipeConn) reply(v any) bool {
	l := h.l
	l.mu.Lock()
	if l.cur != h {
		l.mu.Unlock()
		return false
	}
	if l.head == l.unsent {
		l.mu.Unlock()
		h.fail(errors.New("reply without a command"))
		return false
	}
	c := l.pending[l.head]
	l.pending[l.head] = linkCmd{}
	l.head++
	if l.head < len(l.pending) {
		h.tr.SetReadDeadline(h.readDeadline(l.pending[l.head].deadline))
	} else {
		h.tr.SetReadDeadline(time.Time{})
		l.pending, l.head, l.unsent = l.pending[:0], 0, 0
		if c := cap(l.pending); c < pendingKeepMin || c > pendingKeepMax {
			l.bufs.putCmds(l.pending)
			l.pending = nil
		}
	}
	l.mu.Unlock()
	if e, ok := v.(replyErr); ok {
		c.reply(l, nil, e)
	} else {
		c.reply(l, v, nil)
	}
	return true
}

// Connected counts the deadlines of the commands written while the
// connection was being opened from now: as with a dial, the time to
// connect (bounded by the first command's deadline) is not taken from the
// replies' time.
func (h *pipeConn) Connected() {
	l := h.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != h {
		return
	}
	h.up = true
	if l.head == len(l.pending) {
		return
	}
	deadline := time.Now().Add(l.opts.Timeout)
	for k := l.head; k < len(l.pending); k++ {
		if c := &l.pending[k]; c.deadline.Before(deadline) {
			c.deadline = deadline
		}
	}
	h.tr.SetReadDeadline(h.readDeadline(l.pending[l.head].deadline))
}

// readDeadline is when the connection is dropped for want of a reply due
// by d: at d, or, once connected, not before it is ConnOptions.MinAge old
// (under l.mu).
func (h *pipeConn) readDeadline(d time.Time) time.Time {
	if !h.up {
		return d
	}
	return h.l.opts.dropAt(h.born, d)
}

func (h *pipeConn) fail(err error) {
	h.l.mu.Lock()
	if h.err == nil {
		h.err = err
	}
	h.l.mu.Unlock()
	h.tr.Close()
}

// Closed fails what is still pending and forgets the connection.
func (h *pipeConn) Closed(err error) {
	l := h.l
	l.mu.Lock()
	if h.err != nil {
		err = h.err
	}
	var pending []linkCmd
	if l.cur == h {
		l.cur = nil
		l.up.Store(l.dialing)
		pending, l.pending, l.head, l.unsent = l.pending[l.head:], nil, 0, 0
	}
	l.mu.Unlock()
	for _, c := range pending {
		c.reply(l, nil, err)
	}
}

// Do is Send for callers that wait.
func (l *pipeLink) Do(ctx context.Context, args ...any) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	timeout := l.opts.Timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	l.Send(timeout, func(v any, err error) { ch <- result{v, err} }, args...)
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Tx writes cmds back to back on the connection (MULTI ... EXEC stay
// together) and waits for the last reply. Reply errors inside are the
// instance's business; only transport errors count.
func (l *pipeLink) Tx(ctx context.Context, cmds [][]any) error {
	if len(cmds) == 0 {
		return nil
	}
	timeout := l.opts.Timeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	errs := make(chan error, len(cmds))
	for k, cmd := range cmds {
		// One write for the whole transaction: the last Send flushes.
		l.send(timeout, replyFunc(func(_ any, err error) {
			if IsReplyError(err) {
				err = nil
			}
			errs <- err
		}), 0, k == len(cmds)-1, cmd)
	}
	var first error
	for range cmds {
		select {
		case err := <-errs:
			if err != nil && first == nil {
				first = err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return first
}

// Connected reports whether the link has a connection open or being
// opened. redis-sentinel's link shows "disconnected" only from a drop to
// the next connect attempt (a ping period at most), not until a reply
// comes back: a link to a frozen server reconnects at once and is shown
// connected.
func (l *pipeLink) Connected() bool { return l.up.Load() }

func (l *pipeLink) LocalIP() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.local
}

func (l *pipeLink) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.cur != nil {
		l.cur.tr.Close()
	}
	return nil
}

// Replies to a sentinel's own commands are small; INFO is the largest
// (a few KB, more with many replicas), ROLE lists every replica.
const (
	maxCommandBulk  = 64 << 20
	maxCommandArray = 1 << 16
)
