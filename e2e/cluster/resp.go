package cluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Kind is the RESP type of a reply. The differential test compares kinds,
// so a bulk "OK" and a simple-string OK are different replies here even
// though most clients would not notice.
type Kind int

// RESP2 and RESP3 reply types.
const (
	SimpleString Kind = iota + 1 // +
	Error                        // -
	Integer                      // :
	Bulk                         // $
	Null                         // $-1, *-1 (RESP2) or _ (RESP3); see Value.NullOf
	Array                        // *
	Map                          // %
	Set                          // ~
	Push                         // >
	Double                       // ,
	Boolean                      // #
	BigNumber                    // (
	Verbatim                     // =
	BulkError                    // !
)

var kindNames = map[Kind]string{
	SimpleString: "simple", Error: "error", Integer: "int", Bulk: "bulk",
	Null: "null", Array: "array", Map: "map", Set: "set", Push: "push",
	Double: "double", Boolean: "bool", BigNumber: "bignum",
	Verbatim: "verbatim", BulkError: "bulkerror",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one decoded reply as a typed tree.
type Value struct {
	Kind Kind
	// Str holds the text of simple strings, errors, bulks, verbatims,
	// doubles and big numbers.
	Str string
	// Int holds integers, and 0/1 for booleans.
	Int int64
	// Elems holds the elements of arrays, sets and pushes, and for maps
	// the keys and values alternately (k1, v1, k2, v2, ...) so that the
	// order on the wire is kept: field order is part of what we compare.
	Elems []Value
	// NullOf tells the nulls apart: '$' null bulk, '*' null array, '_' RESP3.
	NullOf byte
	// Attrs is a RESP3 attribute that preceded the value, if any.
	Attrs *Value
}

// IsError reports whether v is an error reply (simple or bulk).
func (v Value) IsError() bool { return v.Kind == Error || v.Kind == BulkError }

// Err returns v as a Go error when it is an error reply.
func (v Value) Err() error {
	if v.IsError() {
		return RedisError(v.Str)
	}
	return nil
}

// RedisError is an error reply from the server.
type RedisError string

func (e RedisError) Error() string { return string(e) }

// Text is the string content of scalar replies (and the decimal form of
// integers), which is what a client library would hand to its user.
func (v Value) Text() string {
	switch v.Kind {
	case Integer:
		return strconv.FormatInt(v.Int, 10)
	case Boolean:
		if v.Int != 0 {
			return "true"
		}
		return "false"
	}
	return v.Str
}

// Strings returns the texts of an aggregate's elements.
func (v Value) Strings() []string {
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Text()
	}
	return out
}

// Pairs interprets v as key/value pairs: a RESP3 map, or a RESP2 flat
// array with an even number of elements (how SENTINEL MASTER and friends
// answer in RESP2). ok is false for anything else.
func (v Value) Pairs() (pairs [][2]Value, ok bool) {
	if (v.Kind != Map && v.Kind != Array) || len(v.Elems)%2 != 0 {
		return nil, false
	}
	for i := 0; i < len(v.Elems); i += 2 {
		pairs = append(pairs, [2]Value{v.Elems[i], v.Elems[i+1]})
	}
	return pairs, true
}

// KV is Pairs as a map of texts, for tests that read fields.
func (v Value) KV() map[string]string {
	p, _ := v.Pairs()
	m := make(map[string]string, len(p))
	for _, kv := range p {
		m[kv[0].Text()] = kv[1].Text()
	}
	return m
}

// KVList reads a list of instances (SENTINEL MASTERS, REPLICAS, ...).
func (v Value) KVList() []map[string]string {
	out := make([]map[string]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		out = append(out, e.KV())
	}
	return out
}

// String renders v on one line, for logs.
func (v Value) String() string {
	var b strings.Builder
	v.oneLine(&b)
	return b.String()
}

func (v Value) oneLine(b *strings.Builder) {
	switch v.Kind {
	case Null:
		fmt.Fprintf(b, "(nil%c)", v.NullOf)
	case Integer, Boolean:
		fmt.Fprintf(b, "(%s) %s", v.Kind, v.Text())
	case Array, Map, Set, Push:
		fmt.Fprintf(b, "%s[", v.Kind)
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.oneLine(b)
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "(%s) %q", v.Kind, v.Str)
	}
}

// Tree renders v one element per line, indented, with the type of every
// node, so that two replies can be diffed line by line.
func (v Value) Tree() string {
	var b strings.Builder
	v.tree(&b, 0)
	return b.String()
}

func (v Value) tree(b *strings.Builder, depth int) {
	ind := strings.Repeat("  ", depth)
	switch v.Kind {
	case Array, Set, Push:
		fmt.Fprintf(b, "%s%s[%d]\n", ind, v.Kind, len(v.Elems))
		for _, e := range v.Elems {
			e.tree(b, depth+1)
		}
	case Map:
		fmt.Fprintf(b, "%smap[%d]\n", ind, len(v.Elems)/2)
		for i := 0; i+1 < len(v.Elems); i += 2 {
			fmt.Fprintf(b, "%s  key ", ind)
			b.WriteString(strings.TrimLeft(v.Elems[i].Tree(), " "))
			v.Elems[i+1].tree(b, depth+2)
		}
	case Null:
		fmt.Fprintf(b, "%snull(%c)\n", ind, v.NullOf)
	case Integer, Boolean:
		fmt.Fprintf(b, "%s%s %s\n", ind, v.Kind, v.Text())
	default:
		fmt.Fprintf(b, "%s%s %q\n", ind, v.Kind, v.Str)
	}
}

// Reader decodes RESP2 and RESP3 replies. When Record is non-nil every
// byte consumed is appended to it, so callers can show the raw reply.
type Reader struct {
	r      *bufio.Reader
	Record *bytes.Buffer
}

// NewReader wraps r.
func NewReader(r io.Reader) *Reader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Reader{r: br}
}

// ErrProtocol is returned for bytes that are not RESP.
var ErrProtocol = errors.New("resp: protocol error")

// maxBulk bounds allocations on corrupt input; sentinel replies are small.
const maxBulk = 64 << 20

// ReadValue reads one complete reply.
func (r *Reader) ReadValue() (Value, error) {
	line, err := r.line()
	if err != nil {
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, fmt.Errorf("%w: empty line", ErrProtocol)
	}
	typ, rest := line[0], string(line[1:])
	switch typ {
	case '+':
		return Value{Kind: SimpleString, Str: rest}, nil
	case '-':
		return Value{Kind: Error, Str: rest}, nil
	case ':':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%w: integer %q", ErrProtocol, rest)
		}
		return Value{Kind: Integer, Int: n}, nil
	case '_':
		return Value{Kind: Null, NullOf: '_'}, nil
	case ',':
		return Value{Kind: Double, Str: rest}, nil
	case '(':
		return Value{Kind: BigNumber, Str: rest}, nil
	case '#':
		switch rest {
		case "t":
			return Value{Kind: Boolean, Int: 1}, nil
		case "f":
			return Value{Kind: Boolean}, nil
		}
		return Value{}, fmt.Errorf("%w: boolean %q", ErrProtocol, rest)
	case '$', '!', '=':
		n, err := r.length(rest)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: Null, NullOf: '$'}, nil
		}
		body, err := r.bulk(n)
		if err != nil {
			return Value{}, err
		}
		kind := map[byte]Kind{'$': Bulk, '!': BulkError, '=': Verbatim}[typ]
		return Value{Kind: kind, Str: body}, nil
	case '*', '~', '>', '%', '|':
		n, err := r.length(rest)
		if err != nil {
			return Value{}, err
		}
		if n < 0 {
			return Value{Kind: Null, NullOf: '*'}, nil
		}
		count := n
		if typ == '%' || typ == '|' {
			count = 2 * n
		}
		v := Value{Kind: map[byte]Kind{'*': Array, '~': Set, '>': Push, '%': Map, '|': Map}[typ]}
		v.Elems = make([]Value, 0, min(count, 1024))
		for i := 0; i < count; i++ {
			e, err := r.ReadValue()
			if err != nil {
				return Value{}, err
			}
			v.Elems = append(v.Elems, e)
		}
		if typ == '|' {
			// An attribute is out-of-band metadata for the next value.
			next, err := r.ReadValue()
			if err != nil {
				return Value{}, err
			}
			next.Attrs = &v
			return next, nil
		}
		return v, nil
	}
	return Value{}, fmt.Errorf("%w: unexpected type byte %q", ErrProtocol, typ)
}

func (r *Reader) length(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > maxBulk {
		return 0, fmt.Errorf("%w: length %q", ErrProtocol, s)
	}
	return n, nil
}

// line reads up to CRLF and returns the line without it.
func (r *Reader) line() ([]byte, error) {
	b, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, fmt.Errorf("%w: line too long", ErrProtocol)
	}
	if err != nil {
		return nil, err
	}
	if r.Record != nil {
		r.Record.Write(b)
	}
	if len(b) < 2 || b[len(b)-2] != '\r' {
		return nil, fmt.Errorf("%w: line not terminated by CRLF: %q", ErrProtocol, b)
	}
	return b[:len(b)-2], nil
}

func (r *Reader) bulk(n int) (string, error) {
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r.r, buf); err != nil {
		return "", err
	}
	if r.Record != nil {
		r.Record.Write(buf)
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return "", fmt.Errorf("%w: bulk not terminated by CRLF", ErrProtocol)
	}
	return string(buf[:n]), nil
}

// AppendCommand encodes args as a RESP array of bulk strings, the way
// every client library sends commands.
func AppendCommand(dst []byte, args ...string) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
