package respserver

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"

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
		MaxClients:       10000,
		MaxInline:        64 * 1024,
		MaxMultibulk:     1024 * 1024,
		MaxBulk:          512 * 1024 * 1024,
		MaxQueryBuffer:   64 * 1024 * 1024,
		UnauthMultibulk:  10,
		UnauthBulk:       16384,
		MaxPubSubPending: 4096,
		PubSub:           OutputLimit{Hard: 32 << 20, Soft: 8 << 20, SoftSeconds: 60},
		TCPKeepalive:     300 * time.Second,
		TCPBacklog:       511,
	}
}

// protocolError is answered with "-ERR Protocol error: ..." and then the
// connection is closed, as redis does.
type protocolError string

func (e protocolError) Error() string { return "Protocol error: " + string(e) }

// errQueryBufferLimit closes the connection without a reply, as redis does
// when client-query-buffer-limit is reached.
var errQueryBufferLimit = errors.New("query buffer limit reached")

// reader parses client requests, multibulk or inline, the way redis's
// processMultibulkBuffer and processInlineBuffer do.
type reader struct {
	br     *bufio.Reader
	limits *Limits
	authed func() bool
}

func newReader(r io.Reader, l *Limits, authed func() bool) *reader {
	return &reader{br: bufio.NewReaderSize(r, 16*1024), limits: l, authed: authed}
}

// readLine reads up to CRLF (or LF for inline requests); it fails with
// tooLong when no newline comes within max bytes.
func (r *reader) readLine(max int, tooLong string) ([]byte, error) {
	var line []byte
	for {
		// Look only at what has arrived, so the limit applies as soon as
		// it is passed rather than when a newline finally comes.
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return nil, err
			}
		}
		avail, _ := r.br.Peek(r.br.Buffered())
		i := bytes.IndexByte(avail, '\n')
		if i >= 0 {
			avail = avail[:i+1]
		}
		if len(line)+len(avail) > max+2 || (i < 0 && len(line)+len(avail) > max) {
			if tooLong == "" {
				return nil, errQueryBufferLimit
			}
			return nil, protocolError(tooLong)
		}
		line = append(line, avail...)
		r.br.Discard(len(avail))
		if i >= 0 {
			break
		}
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// next returns the next request's arguments; an empty inline line gives a
// nil slice, which the caller skips.
func (r *reader) next() ([][]byte, error) {
	b, err := r.br.Peek(1)
	if err != nil {
		return nil, err
	}
	if b[0] != '*' {
		return r.inline()
	}
	head, err := r.readLine(r.limits.MaxInline, "too big mbulk count string")
	if err != nil {
		return nil, err
	}
	n, ok := parseInt(head[1:])
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
	args := make([][]byte, 0, min(n, 64))
	total := 0
	for range n {
		h, err := r.readLine(r.limits.MaxInline, "too big bulk count string")
		if err != nil {
			return nil, err
		}
		if len(h) == 0 || h[0] != '$' {
			c := ""
			if len(h) > 0 {
				c = string(h[:1])
			}
			return nil, protocolError("expected '$', got '" + c + "'")
		}
		size, ok := parseInt(h[1:])
		if !ok || size < 0 || size > int64(r.limits.MaxBulk) {
			return nil, protocolError("invalid bulk length")
		}
		if !authed && size > int64(r.limits.UnauthBulk) {
			return nil, protocolError("unauthenticated bulk length")
		}
		total += int(size)
		if total > r.limits.MaxQueryBuffer {
			return nil, errQueryBufferLimit
		}
		// Grow with the data actually received, never from the header
		// alone, so a lying header costs nothing.
		arg := make([]byte, 0, min(size, 64*1024))
		for int64(len(arg)) < size {
			want := int(size) - len(arg)
			if want > 64*1024 {
				want = 64 * 1024
			}
			chunk, err := r.br.Peek(min(want, r.br.Size()))
			if len(chunk) == 0 && err != nil {
				if errors.Is(err, bufio.ErrBufferFull) {
					continue
				}
				return nil, err
			}
			arg = append(arg, chunk...)
			r.br.Discard(len(chunk))
		}
		crlf := make([]byte, 2)
		if _, err := io.ReadFull(r.br, crlf); err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

func (r *reader) inline() ([][]byte, error) {
	line, err := r.readLine(r.limits.MaxInline, "too big inline request")
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

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}
