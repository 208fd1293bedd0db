package respserver

import (
	"errors"
	"io"
	"math"
	"time"

	"github.com/qsentinel/qsentinel/redisnum"
	"github.com/qsentinel/qsentinel/sdsargs"
)

// Limits mirror redis-server's (networking.c) so that a client gets the same
// protocol errors from us as from redis-sentinel, and so that no header can
// make us allocate more than the query buffer limit.
type Limits struct {
	MaxClients       int // connections beyond this get "max number of clients reached"
	MaxInline        int // PROTO_INLINE_MAX_SIZE
	MaxMultibulk     int // elements in one request
	MaxBulk          int // proto-max-bulk-len
	MaxQueryBuffer   int // client-query-buffer-limit: bytes of one request
	UnauthMultibulk  int // before AUTH
	UnauthBulk       int // before AUTH
	MaxPubSubPending int // events queued for a subscriber that does not read
	// PubSub is client-output-buffer-limit's pubsub class in bytes of
	// queued events: over Hard, or over Soft for SoftSeconds, the
	// subscriber is closed. Zero values disable a limit.
	PubSub OutputLimit
	// Normal is client-output-buffer-limit's normal class, in bytes of
	// replies not yet written; redis's default is none (zero).
	Normal OutputLimit
	// AuthFailRate is how many failed AUTHs a second the whole server
	// answers at once after a burst of AuthFailBurst; more wait their
	// turn (authrate.go). Zero: no pacing, as redis.
	AuthFailRate  float64
	AuthFailBurst int
	// IdleTimeout is redis's "timeout": a client that sends nothing for
	// this long is closed, unless it is subscribed. Zero: never.
	IdleTimeout time.Duration
	// TCPKeepalive is redis's tcp-keepalive on client connections; zero
	// turns keepalive off.
	TCPKeepalive time.Duration
	// TCPBacklog is the listen(2) backlog (tcp-backlog).
	TCPBacklog int
}

// OutputLimit is one class of client-output-buffer-limit.
type OutputLimit struct {
	Hard, Soft  int64
	SoftSeconds int
}

// DefaultLimits are redis 7.0's defaults, except the query buffer: a
// sentinel never needs a request of more than a few kilobytes, so one client
// may not hold a gigabyte of our memory.
func DefaultLimits() Limits {
	return Limits{
		MaxClients:   10000,
		MaxInline:    64 * 1024,
		MaxMultibulk: math.MaxInt32, // redis 7.0 takes any count up to INT_MAX

		MaxBulk:          512 * 1024 * 1024,
		MaxQueryBuffer:   64 * 1024 * 1024,
		UnauthMultibulk:  10,
		UnauthBulk:       16384,
		MaxPubSubPending: 4096,
		PubSub:           OutputLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
		AuthFailRate:     100,
		AuthFailBurst:    100,
		TCPKeepalive:     300 * time.Second,
		TCPBacklog:       511,
	}
}

// protocolError is answered with "-ERR Protocol error: ..." and then the
// connection is closed, as redis does.
type protocolError string

func (e protocolError) Error() string { return "Protocol error: " + string(e) }

// argOverhead is what one argument costs us besides its bytes (a slice
// header and allocation rounding), counted against MaxQueryBuffer.
const argOverhead = 32

// errQueryBufferLimit closes the connection without a reply, as redis does
// when client-query-buffer-limit is reached.
var errQueryBufferLimit = errors.New("query buffer limit reached")

// reader parses client requests, multibulk or inline, the way redis's
// processMultibulkBuffer and processInlineBuffer do.
type reader struct {
	q      queryBuf
	limits *Limits
	authed func() bool
	// size is the bytes of the multibulk request being read, or of the
	// last one read: what a client made us hold (see Server.reclaim).
	size int
	// last is the argument slice and bytes buffered last handed out;
	// spare, those of a request done with (recycle), which the next
	// request read in one piece reuses.
	last, spare argSpace
}

// argSpace is the memory of one request read in one piece.
type argSpace struct {
	args  [][]byte
	arena []byte
}

// maxSpare bounds the bytes of arguments kept for reuse.
const maxSpare = 4096

func newReader(r io.Reader, l *Limits, authed func() bool) *reader {
	return &reader{q: queryBuf{r: r}, limits: l, authed: authed}
}

// line reads one line the way redis finds it in its query buffer: up to
// delim, which is '\n' for an inline request and '\r' for the headers of
// a multibulk request (redis looks for '\r' there and skips the byte
// after it unseen). redis searches with strchr, so a NUL byte hides every
// delimiter after it. A line whose end has not been found fails with
// tooLong once more than max bytes wait, as redis does after each read;
// an end that has arrived is taken whatever the line's length.
func (r *reader) line(delim byte, max int, tooLong string) ([]byte, error) {
	end, err := r.findLine(delim, max, tooLong)
	if err != nil {
		return nil, err
	}
	line := append([]byte(nil), r.q.bytes()[:end]...)
	if delim == '\r' {
		r.q.discard(end + 2)
		return line, nil
	}
	r.q.discard(end + 1)
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// findLine reads until a line (as line finds it) is in the buffer and
// returns where its delimiter is in r.q.bytes(); nothing is consumed.
func (r *reader) findLine(delim byte, max int, tooLong string) (int, error) {
	scanned, end := 0, -1
	hidden := false // a NUL came before any delimiter
	for {
		b := r.q.bytes()
		for ; !hidden && end < 0 && scanned < len(b); scanned++ {
			switch b[scanned] {
			case delim:
				end = scanned
			case 0:
				hidden = true
			}
		}
		if end >= 0 && (delim != '\r' || end+1 < len(b)) {
			break
		}
		if end < 0 && len(b) > max {
			if tooLong == "" {
				return 0, errQueryBufferLimit
			}
			return 0, protocolError(tooLong)
		}
		// "\r" must be followed by one more byte, which redis skips
		// without checking that it is '\n'.
		if err := r.q.fill(); err != nil {
			return 0, err
		}
	}
	return end, nil
}

// next returns the next request's arguments; an empty inline line gives a
// nil slice, which the caller skips.
func (r *reader) next() ([][]byte, error) {
	r.size = 0
	if len(r.q.bytes()) == 0 {
		if err := r.q.fill(); err != nil {
			return nil, err
		}
	}
	if r.q.bytes()[0] != '*' {
		return r.inline()
	}
	// The count is read where it lies: a copy of the line was an
	// allocation per request, and peers send one request per hello.
	end, err := r.findLine('\r', r.limits.MaxInline, "too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := string2ll(r.q.bytes()[1:end])
	r.q.discard(end + 2)
	authed := r.authed()
	if !ok || n > int64(r.limits.MaxMultibulk) {
		return nil, protocolError("invalid multibulk length")
	}
	if !authed && n > int64(r.limits.UnauthMultibulk) {
		return nil, protocolError("unauthenticated multibulk length")
	}
	if n <= 0 {
		return nil, nil
	}
	if args, ok := r.buffered(int(n), authed); ok {
		return args, nil
	}
	// Arguments are noted as places in parts (the shared arrays of small
	// ones, large ones on their own) and sliced out at the end, in one
	// allocation: a slice of slices grown by appends, a million
	// arguments long, was copied twenty times under the GC's write
	// barriers, most of a request's time.
	refs := make([]argRef, 0, min(n, 64))
	var parts [][]byte
	var arena []byte // the shared array being filled, parts[arenaPart]
	var arenaPart int32
	for range n {
		h, err := r.line('\r', r.limits.MaxInline, "too big bulk count string")
		if err != nil {
			return nil, err
		}
		// A count of up to INT_MAX is taken, so every argument's header
		// and bookkeeping count against the query buffer limit too: a
		// stream of empty arguments cannot grow without bound.
		if err := r.hold(len(h) + 2 + argOverhead); err != nil {
			return nil, err
		}
		if len(h) == 0 || h[0] != '$' {
			// redis names the byte where '$' should be: the '\r' of an
			// empty line, which its error reply turns into a blank.
			c := "\r"
			if len(h) > 0 {
				c = string(h[:1])
			}
			return nil, protocolError("expected '$', got '" + c + "'")
		}
		size, ok := string2ll(h[1:])
		if !ok || size < 0 || size > int64(r.limits.MaxBulk) {
			return nil, protocolError("invalid bulk length")
		}
		if !authed && size > int64(r.limits.UnauthBulk) {
			return nil, protocolError("unauthenticated bulk length")
		}
		if size <= arenaArgMax && len(r.q.bytes()) >= int(size) {
			// A small argument whose bytes are here is copied into an
			// array the request's small arguments share: a request of
			// a million one-byte arguments was a million allocations,
			// three times redis-sentinel's time to the reply.
			if err := r.hold(int(size)); err != nil {
				return nil, err
			}
			if arena == nil || cap(arena)-len(arena) < int(size) {
				// 256 bytes first, doubling to arenaChunk: a request
				// of a few arguments holds no more than it sent.
				arena = make([]byte, 0, min(max(2*cap(arena), arenaArgMax), arenaChunk))
				arenaPart = int32(len(parts))
				parts = append(parts, arena)
			}
			start := len(arena)
			arena = append(arena, r.q.bytes()[:size]...)
			r.q.discard(int(size))
			if err := r.skipCRLF(); err != nil {
				return nil, err
			}
			refs = append(refs, argRef{part: arenaPart, off: int32(start), n: int32(size)})
			continue
		}
		// Grow with the data actually received, never from the header
		// alone: a header may announce 512 MB and redis waits for it,
		// but only bytes that arrived count against the query buffer.
		arg := newBulkArg(int(size))
		for arg.missing() > 0 {
			if len(r.q.bytes()) == 0 {
				if err := r.q.fill(); err != nil {
					return nil, err
				}
			}
			chunk := r.q.bytes()
			if rest := arg.missing(); len(chunk) > rest {
				chunk = chunk[:rest]
			}
			if err := r.hold(len(chunk)); err != nil {
				return nil, err
			}
			arg.add(chunk)
			r.q.discard(len(chunk))
		}
		if err := r.skipCRLF(); err != nil {
			return nil, err
		}
		parts = append(parts, arg.bytes())
		refs = append(refs, argRef{part: int32(len(parts) - 1), n: int32(size)})
	}
	args := make([][]byte, len(refs))
	for k, a := range refs {
		p := parts[a.part]
		args[k] = p[a.off : a.off+a.n : a.off+a.n]
	}
	return args, nil
}

// hold counts n more bytes of the request being read (r.size) and fails
// once they pass the query buffer limit.
func (r *reader) hold(n int) error {
	r.size += n
	if r.size > r.limits.MaxQueryBuffer {
		return errQueryBufferLimit
	}
	return nil
}

// argRef is where an argument read by next lies: parts[part][off:off+n].
type argRef struct{ part, off, n int32 }

// Small arguments (up to arenaArgMax bytes) of a request read piece by
// piece share arrays of up to arenaChunk bytes (next).
const (
	arenaArgMax = 256
	arenaChunk  = 16 << 10
)

// skipCRLF skips the two bytes after an argument's data unseen, as redis
// does.
func (r *reader) skipCRLF() error {
	for len(r.q.bytes()) < 2 {
		if err := r.q.fill(); err != nil {
			return err
		}
	}
	r.q.discard(2)
	return nil
}

// buffered reads the n arguments of a multibulk request whose bytes have
// all arrived, when every one of them is well within the limits, in two
// allocations: the slice and one array for every argument's bytes. A
// hello from a peer (PUBLISH, three arguments) cost eight. ok is false,
// and nothing is consumed, when anything is missing or unusual: next
// then reads them one by one, with redis's errors and limits.
func (r *reader) buffered(n int, authed bool) (args [][]byte, ok bool) {
	const most = 16 // arguments; more are read one by one
	if n > most {
		return nil, false
	}
	b := r.q.bytes()
	var start, size [most]int
	at, total, data := 0, 0, 0
	for k := range n {
		// "$<size>\r\n": digits only (no NUL that would hide the
		// '\r' from redis's search, no sign, no spaces), as
		// string2ll reads them.
		if at >= len(b) || b[at] != '$' {
			return nil, false
		}
		p := at + 1
		v := 0
		for p < len(b) && b[p] >= '0' && b[p] <= '9' && p-at <= 10 {
			v = v*10 + int(b[p]-'0')
			p++
		}
		if p == at+1 || (b[at+1] == '0' && p > at+2) || // string2ll takes no leading zero
			p+1 >= len(b) || b[p] != '\r' || b[p+1] != '\n' ||
			v > r.limits.MaxBulk || (!authed && v > r.limits.UnauthBulk) {
			return nil, false
		}
		total += p - at + 2 + argOverhead + v
		start[k], size[k] = p+2, v
		at = p + 2 + v + 2
		if at > len(b) || total > r.limits.MaxQueryBuffer {
			return nil, false
		}
		data += v
	}
	space := r.spare
	r.spare = argSpace{}
	if cap(space.arena) < data || cap(space.args) < n {
		space = argSpace{args: make([][]byte, n), arena: make([]byte, data)}
	}
	args, arena := space.args[:n], space.arena[:data]
	r.last = argSpace{args: args, arena: arena}
	for k := range n {
		args[k] = arena[:size[k]:size[k]]
		copy(args[k], b[start[k]:])
		arena = arena[size[k]:]
	}
	r.size = total
	r.q.discard(at)
	return args, true
}

// recycle says that args, the last request read, are done with: nothing
// refers to them any more (a PUBLISH from a peer: the hello is read during
// the call). Read in one piece, their memory serves the next request.
func (r *reader) recycle(args [][]byte) {
	last := r.last
	r.last = argSpace{}
	if len(args) == 0 || len(last.args) == 0 || &args[0] != &last.args[0] || cap(last.arena) > maxSpare {
		return
	}
	r.spare = last
}

func (r *reader) inline() ([][]byte, error) {
	line, err := r.line('\n', r.limits.MaxInline, "too big inline request")
	if err != nil {
		return nil, err
	}
	words, err := sdsargs.Split(string(line))
	if err != nil {
		return nil, protocolError("unbalanced quotes in request")
	}
	args := make([][]byte, len(words))
	for i, w := range words {
		args[i] = []byte(w)
	}
	return args, nil
}

// string2ll parses a number the way redis's string2ll does (redisnum).
func string2ll(b []byte) (int64, bool) { return redisnum.ParseInt(b) }
