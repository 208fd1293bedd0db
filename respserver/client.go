package respserver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// client is one connection. Its goroutine reads and answers requests;
// events for a subscribed client are queued by the dispatcher and written by
// a second goroutine, both under wmu.
type client struct {
	srv     *Server
	id      int64
	conn    net.Conn
	created time.Time

	wmu    sync.Mutex // guards w and the socket's write side
	w      writer
	closed bool
	// mute: nothing more is written (a protocol error while CLIENT REPLY
	// OFF, or right after SKIP: redis flags the client close-after-reply,
	// but with no reply to write it never closes it, and ignores what it
	// sends).
	mute          bool
	writeDeadline time.Time // the socket's write deadline, moved by flushLocked
	flushed       int       // bytes of the last flush (limitedWriter)
	// holding: replies wait for a save (holdRepliesUntil); nothing is
	// written meanwhile and what follows queues behind. holdSave is the
	// save still to run before they go (under wmu).
	holding  bool
	holdSave func() error
	heldWG   sync.WaitGroup

	lower []byte // scratch for execute (the client's own goroutine)
	// authFailed: the command just run was a failed AUTH or HELLO AUTH
	// (the client's own goroutine; see paceAuthFailure).
	authFailed bool

	// CLIENT REPLY state, under wmu (redis's CLIENT_REPLY_OFF, _SKIP and
	// _SKIP_NEXT flags). While replies are silenced, w writes into sink
	// and out is the socket's writer; pub/sub pushes always go to out.
	replyOff, replySkip, replySkipNext bool
	caching                            bool // CLIENT CACHING YES|NO given for the next command
	out, sink                          *redcon.Writer

	// Read and written by the client's own goroutine, read by CLIENT LIST
	// from others: guarded by mu.
	mu       sync.Mutex
	name     string
	user     string
	authed   bool
	lastCmd  string
	lastTime time.Time
	channels []string
	patterns []string
	track    tracking // CLIENT TRACKING state
	noEvict  bool     // CLIENT NO-EVICT (shown in CLIENT LIST; nothing is evicted here)
	blocked  bool     // waiting for CLIENT PAUSE to end

	subscribed atomic.Bool
	resp       atomic.Int32 // protocol version, for CLIENT LIST from other clients
	// queue holds pending pub/sub messages (channel, payload) under qmu;
	// wake tells the goroutine that writes them (pumpEvents) that there
	// are some. They exist from the first SUBSCRIBE on: most clients never
	// subscribe. The queue grows with what is pending, up to
	// MaxPubSubPending events, and is never allocated ahead.
	pumpOnce sync.Once
	pumpWG   sync.WaitGroup
	qmu      sync.Mutex
	queue    [][2]string
	wake     chan struct{}
	// pending is the bytes of events queued or being written; softSince
	// is when it went over the soft pubsub limit (unix ns, 0: it is not).
	pending   atomic.Int64
	softSince atomic.Int64
	// normalSoftSince is softSince for the replies to the client's own
	// commands (client-output-buffer-limit normal).
	normalSoftSince atomic.Int64
	kill            chan struct{}
	killOnce        sync.Once
}

func (s *Server) newClient(nc net.Conn) *client {
	now := time.Now()
	c := &client{
		srv:      s,
		id:       s.nextID.Add(1),
		conn:     nc,
		created:  now,
		lastTime: now,
		user:     "default",
		lastCmd:  "NULL",
		kill:     make(chan struct{}),
	}
	c.out = c.newOut()
	c.w = writer{w: c.out, proto: 2}
	c.authed = s.defaultOpen()
	c.resp.Store(2)
	return c
}

type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (cw countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	cw.n.Add(int64(n))
	return n, err
}

func (c *client) isAuthed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authed
}

// close ends the connection from any goroutine (CLIENT KILL, slow reader).
func (c *client) close() {
	c.killOnce.Do(func() {
		close(c.kill)
		c.conn.Close()
	})
}

func (c *client) serve(ctx context.Context) {
	defer func() {
		// A reply held for a save still goes out before the close.
		c.heldWG.Wait()
		c.wmu.Lock()
		c.flushLocked()
		c.wmu.Unlock()
		c.close()
		c.pumpWG.Wait()
	}()

	// Replies of a pipeline go out in one write, but never later than the
	// next time we would wait for input: whatever follows a complete
	// request (an empty line, half of the next request, EOF) must not
	// hold its reply back.
	pending := false
	flush := func() error {
		if !pending {
			return nil
		}
		pending = false
		c.wmu.Lock()
		defer c.wmu.Unlock()
		if !c.flushLocked() {
			return errClientGone
		}
		return nil
	}
	before := flush
	if idle := c.srv.cfg.Limits.IdleTimeout; idle > 0 {
		// redis's "timeout": a client that sends nothing for this long
		// is closed, unless it is subscribed (clientsCronHandleTimeout).
		before = func() error {
			if err := flush(); err != nil {
				return err
			}
			deadline := time.Time{}
			if !c.subscribed.Load() {
				deadline = time.Now().Add(idle)
			}
			return c.conn.SetReadDeadline(deadline)
		}
	}
	in := countingReader{r: c.conn, n: &c.srv.stats.netIn, beforeRead: before}
	rd := newReader(in, &c.srv.cfg.Limits, c.isAuthed)
	if rc, err := rawConnOf(c.conn); err == nil {
		// Wait for input without a buffer; replies first, as any read.
		rd.q.pool = c.srv.bufs
		rd.q.idle = func() error {
			if err := before(); err != nil {
				return err
			}
			return waitReadable(rc)
		}
	}
	// A large request, finished or cut off by the client leaving, is
	// garbage soon after: its memory goes back to the OS.
	defer func() { c.srv.reclaim.noteExit(rd.size + rd.q.held() + clientOverhead) }()
	for ctx.Err() == nil {
		args, err := rd.next()
		if err != nil {
			var pe protocolError
			c.wmu.Lock()
			// Silenced, the error is not written; redis then closes
			// after what is still to be written (pub/sub pushes go out
			// even while silenced) or, with nothing to write, never.
			silenced := errors.As(err, &pe) && (c.replyOff || c.replySkip)
			if silenced && len(c.out.Buffer()) == 0 {
				c.mute = true
				c.wmu.Unlock()
				// Read and drop until the client goes, as redis keeps
				// such a connection open; nothing is kept.
				io.Copy(io.Discard, c.conn)
				return
			}
			if errors.As(err, &pe) && !silenced {
				c.w.err("ERR " + pe.Error())
			}
			c.flushLocked()
			c.wmu.Unlock()
			return
		}
		if len(args) == 0 {
			// redis resets the client after an empty request too, and
			// that reset moves CLIENT REPLY SKIP on: an empty line uses
			// up the skipped reply.
			c.wmu.Lock()
			c.nextReplyState()
			c.wmu.Unlock()
			continue
		}
		c.wmu.Lock()
		quit := c.executeSilenceable(args)
		if len(args[0]) == len("publish") && strings.EqualFold(string(args[0]), "publish") {
			// Peers send a hello per master every two seconds; nothing
			// keeps a PUBLISH's arguments (cmdPublish).
			rd.recycle(args)
		}
		pending = true
		c.srv.reclaim.note(rd.size)
		if quit {
			c.flushLocked()
			c.wmu.Unlock()
			return
		}
		c.wmu.Unlock()
		if c.authFailed {
			c.authFailed = false
			if !c.paceAuthFailure(ctx) {
				return
			}
		}
	}
}

// executeSilenceable runs one request under wmu, dropping its reply while
// CLIENT REPLY OFF or SKIP says so, and then moves the SKIP state on as
// redis's resetClient does: SKIP silences exactly the next command.
func (c *client) executeSilenceable(args [][]byte) bool {
	if c.replyOff || c.replySkip {
		if c.sink == nil {
			c.sink = redcon.NewWriter(io.Discard)
		}
		c.w.w = c.sink
	}
	quit := c.srv.execute(c, args)
	if !bytes.EqualFold(args[0], []byte("client")) {
		// CLIENT CACHING lasts until a command other than CLIENT runs.
		c.caching = false
	}
	if c.w.w == c.sink {
		c.sink.SetBuffer(nil)
	}
	c.w.w = c.out
	c.nextReplyState()
	return quit
}

// nextReplyState is what redis's resetClient does to CLIENT REPLY SKIP
// after each request: SKIP ends, and a SKIP just asked for begins.
func (c *client) nextReplyState() {
	c.replySkip = false
	if c.replySkipNext {
		c.replySkip, c.replySkipNext = true, false
	}
}

// pushing runs fn with replies going to the socket even while CLIENT
// REPLY silences them: redis 7.0 delivers pub/sub pushes (messages and
// subscribe confirmations) regardless (CLIENT_PUSHING).
func (c *client) pushing(fn func()) {
	saved := c.w.w
	c.w.w = c.out
	fn()
	c.w.w = saved
}

// holdRepliesUntil keeps the reply just written, and every later one, off
// the socket until saved returns (a vote on disk), while the client's next
// commands go on being read and run: a peer's hellos pipelined behind its
// vote request are applied at once instead of one fsync later, and the
// replies still leave in order. One goroutine per client at most: votes
// that arrive while a save runs are covered by one more save (started
// after them), however many they are. Called under wmu.
//
// Each save lets out the replies written before it started (their votes
// are on disk once it returns) while later ones wait for the next save.
// Holding everything until no vote arrived during a save held a peer's
// replies, PINGs included, for as long as it kept asking: at 200 masters
// killed at once a candidate asks every 100 ms per master, its PINGs went
// unanswered for a second, and it marked us down (BENCHMARKS.md, the
// 200-master announce gap).
func (c *client) holdRepliesUntil(saved func() error) {
	c.holdSave = saved
	if c.holding {
		return
	}
	c.holding = true
	c.heldWG.Add(1)
	go func() {
		defer c.heldWG.Done()
		c.wmu.Lock()
		defer c.wmu.Unlock()
		for c.holdSave != nil && !c.closed {
			save := c.holdSave
			c.holdSave = nil
			covered := len(c.out.Buffer())
			c.wmu.Unlock()
			save() // it logs its own failure, as redis does, and answers anyway
			c.wmu.Lock()
			if c.holdSave != nil {
				c.releaseHeld(covered)
			}
		}
		c.holding = false
		c.flushLocked()
	}()
}

// releaseHeld writes the first n bytes of the held replies and keeps the
// rest held. Under wmu, with holding set.
func (c *client) releaseHeld(n int) {
	if n == 0 || c.closed {
		return
	}
	buf := c.out.Buffer()
	n = min(n, len(buf))
	c.out.SetBuffer(buf[:n])
	c.holding = false
	ok := c.flushLocked()
	c.holding = true
	if ok {
		c.out.SetBuffer(buf[n:])
	}
}

// errClientGone ends a client whose replies could not be written.
var errClientGone = errors.New("client gone")

// countingReader counts what a client sends and runs beforeRead before
// every read of the socket (the client's pending replies are flushed there).
type countingReader struct {
	r          io.Reader
	n          *atomic.Int64
	beforeRead func() error
}

func (cr countingReader) Read(p []byte) (int, error) {
	if cr.beforeRead != nil {
		if err := cr.beforeRead(); err != nil {
			return 0, err
		}
	}
	n, err := cr.r.Read(p)
	cr.n.Add(int64(n))
	return n, err
}

// flushLocked writes buffered replies; a client that does not take them
// within the write timeout is dropped.
func (c *client) flushLocked() bool {
	if c.closed {
		return false
	}
	if c.holding {
		// holdRepliesUntil writes them once the save is done.
		return true
	}
	// Moving the deadline on every reply was a few percent of a busy
	// server; it moves only when less than the timeout is left, so a
	// client always has between one and two timeouts to take a reply.
	now, wt := time.Now(), c.srv.cfg.WriteTimeout
	if c.writeDeadline.Sub(now) < wt {
		c.writeDeadline = now.Add(2 * wt)
		c.conn.SetWriteDeadline(c.writeDeadline)
	}
	// out, not w.w: while CLIENT REPLY silences a command, w.w is the
	// sink, but what is queued for the socket must still go.
	if err := c.out.Flush(); err != nil {
		c.closed = true
		return false
	}
	if c.flushed > renewWriterAbove {
		c.renewWriter()
	}
	return true
}

// deliver queues a pub/sub message if the client listens to it. Called by
// the dispatcher only; it must never block.
func (c *client) deliver(channel, payload string) {
	c.mu.Lock()
	match := slices.Contains(c.channels, channel)
	if !match {
		for _, p := range c.patterns {
			if globMatch(p, channel) {
				match = true
				break
			}
		}
	}
	c.mu.Unlock()
	if !match {
		return
	}
	n := c.pending.Add(eventSize(channel, payload))
	if c.overOutputLimit(n, c.srv.cfg.Limits.PubSub) {
		c.logOutputLimit()
		c.close()
		return
	}
	if !c.enqueue(channel, payload) {
		// Our bound on queued events, besides redis's in bytes; logged
		// as redis logs an output-limit close, so one alert covers both.
		c.logOutputLimit()
		c.close()
	}
}

// eventSize approximates what one event takes in the client's output: its
// strings and the RESP framing around them.
func eventSize(channel, payload string) int64 {
	return int64(len(channel) + len(payload) + 48)
}

// overOutputLimit is redis's checkClientOutputBufferLimits for the pubsub
// class (see overLimit).
func (c *client) overOutputLimit(n int64, lim OutputLimit) bool {
	return overLimit(n, lim, &c.softSince)
}

// overLimit is redis's checkClientOutputBufferLimits for one class: n
// bytes pending is too much when at or over the hard limit, or at or over
// the soft one for longer than its seconds; since is when the soft limit
// was first reached (unix ns, 0: it is not), kept up to date here.
func overLimit(n int64, lim OutputLimit, since *atomic.Int64) bool {
	if lim.Hard > 0 && n >= lim.Hard {
		return true
	}
	if lim.Soft <= 0 || n < lim.Soft {
		since.Store(0)
		return false
	}
	now := time.Now().UnixNano()
	first := since.Load()
	if first == 0 {
		since.Store(now)
		return false
	}
	return time.Duration(now-first) > time.Duration(lim.SoftSeconds)*time.Second
}

func sortClients(cs []*client) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
}
