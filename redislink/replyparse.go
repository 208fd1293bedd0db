package redislink

import (
	"bytes"
	"errors"
	"strconv"
)

// maxReplyLine bounds a status, error, integer or length line: a line
// longer than this without its end is garbage, not a reply still arriving.
const maxReplyLine = 64 << 10

var errBadReply = errors.New("resp: bad reply")

// parseReply parses one RESP2 reply at the start of b: strings, errors
// (replyErr), integers, bulks and arrays (nested at most a few levels). n
// is how many bytes it used; n == 0 with a nil error means b holds only
// the start of a reply. Values never alias b.
func parseReply(b []byte, depth, maxBulk, maxArray int) (v any, n int, err error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		if len(b) > maxReplyLine {
			return nil, 0, errors.New("resp: line too long")
		}
		return nil, 0, nil
	}
	if end < 2 || b[end-1] != '\r' {
		return nil, 0, errors.New("resp: bad line")
	}
	body, n := b[1:end-1], end+1
	switch b[0] {
	case '+':
		return known(body), n, nil
	case '-':
		return replyErr(body), n, nil
	case ':':
		v, err := strconv.ParseInt(string(body), 10, 64)
		if err != nil {
			return nil, 0, errBadReply
		}
		return v, n, nil
	case '$':
		size, ok := parseLength(body)
		if !ok || size > maxBulk {
			return nil, 0, errors.New("resp: bad bulk length")
		}
		if size < 0 {
			return nil, n, nil
		}
		if len(b) < n+size+2 {
			return nil, 0, nil
		}
		if b[n+size] != '\r' || b[n+size+1] != '\n' {
			return nil, 0, errBadReply
		}
		return known(b[n : n+size]), n + size + 2, nil
	case '*':
		count, ok := parseLength(body)
		if !ok || count > maxArray || depth > 4 {
			return nil, 0, errors.New("resp: bad array")
		}
		if count < 0 {
			return nil, n, nil
		}
		out := make([]any, count)
		for k := range out {
			v, used, err := parseReply(b[n:], depth+1, maxBulk, maxArray)
			if err != nil || used == 0 {
				return nil, 0, err
			}
			out[k] = v
			n += used
		}
		return out, n, nil
	}
	return nil, 0, errors.New("resp: unknown reply type")
}

// known is string(b) as a reply value, without an allocation for the
// replies every link gets all the time: PONG and OK, and the kind and
// channel of every pub/sub message (at 5,000 masters, thousands a
// second). A constant in an interface needs no allocation; a copied
// string needs two (its bytes and the interface's box).
func known(b []byte) any {
	switch string(b) { // compared in place: no conversion is allocated
	case "PONG":
		return "PONG"
	case "OK":
		return "OK"
	case "message":
		return "message"
	case "subscribe":
		return "subscribe"
	case "__sentinel__:hello":
		return "__sentinel__:hello"
	}
	return string(b)
}

// parseMessage reads a complete pub/sub message push,
// ["message", channel, payload], at the start of b without allocating:
// payload aliases b. n is 0 when b does not start with one (another
// reply, or a message not fully arrived), which parseReply then reads.
func parseMessage(b []byte, maxBulk int) (payload []byte, n int) {
	const head = "*3\r\n$7\r\nmessage\r\n"
	if len(b) < len(head) || string(b[:len(head)]) != head {
		return nil, 0
	}
	n = len(head)
	_, k := bulkAt(b[n:], maxBulk) // the channel
	if k == 0 {
		return nil, 0
	}
	n += k
	payload, k = bulkAt(b[n:], maxBulk)
	if k == 0 {
		return nil, 0
	}
	return payload, n + k
}

// bulkAt reads a complete, well-formed bulk string at the start of b; n
// is 0 when there is none.
func bulkAt(b []byte, maxBulk int) (bulk []byte, n int) {
	if len(b) == 0 || b[0] != '$' {
		return nil, 0
	}
	end := bytes.IndexByte(b, '\n')
	if end < 2 || b[end-1] != '\r' {
		return nil, 0
	}
	size, ok := parseLength(b[1 : end-1])
	start := end + 1
	if !ok || size < 0 || size > maxBulk || len(b) < start+size+2 || b[start+size] != '\r' || b[start+size+1] != '\n' {
		return nil, 0
	}
	return b[start : start+size], start + size + 2
}

// parseLength reads a bulk or array length: -1 or a decimal count.
func parseLength(b []byte) (int, bool) {
	if len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return -1, true
	}
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// replyStream cuts a connection's bytes into replies. Bytes of a reply
// that has not fully arrived are kept until the rest does; a connection
// between replies keeps nothing.
type replyStream struct {
	maxBulk, maxArray int
	partial           []byte
	// peek, when set, may take a reply at the start of data itself
	// before it is parsed into values: it returns the reply's length (0:
	// not one it takes) and whether to go on, as each does.
	peek func(data []byte) (n int, more bool)
}

// feed hands every complete reply in b to each, in order, until each
// returns false. It fails on bytes that are not RESP.
func (s *replyStream) feed(b []byte, each func(any) bool) error {
	data := b
	if len(s.partial) > 0 {
		s.partial = append(s.partial, b...)
		data = s.partial
	}
	for len(data) > 0 {
		if s.peek != nil {
			if n, more := s.peek(data); n > 0 {
				data = data[n:]
				if !more {
					s.partial = nil
					return nil
				}
				continue
			}
		}
		v, n, err := parseReply(data, 0, s.maxBulk, s.maxArray)
		if err != nil {
			s.partial = nil
			return err
		}
		if n == 0 {
			break
		}
		data = data[n:]
		if !each(v) {
			s.partial = nil
			return nil
		}
	}
	switch {
	case len(data) == 0:
		s.partial = nil
	case len(s.partial) > 0:
		// data is the tail of partial; copy handles the overlap.
		s.partial = s.partial[:copy(s.partial, data)]
	default:
		s.partial = append([]byte(nil), data...)
	}
	return nil
}
