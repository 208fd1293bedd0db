package commandtable

import (
	"bytes"
	"fmt"
	"strconv"
)

// Value is one parsed RESP3 reply of the captured tables. The tables were
// captured in RESP3 so that maps and sets keep their type; a writer
// replays a Value as the same bytes.
type Value struct {
	Kind  byte // one of + - : $ * % ~ _
	Str   string
	Num   int64
	Elems []Value // map: key, value, key, value...
}

// COMMAND INFO entries are arrays with these fields at fixed places
// (redis 7.0's addReplyCommandInfo).
const (
	fieldName        = 0
	fieldFlags       = 2
	fieldCategories  = 6
	fieldSubcommands = 9
)

// Name is a COMMAND INFO entry's name ("ping", "sentinel|myid"), "" for
// anything else.
func (v Value) Name() string {
	if len(v.Elems) <= fieldName {
		return ""
	}
	return v.Elems[fieldName].Str
}

// Categories are a COMMAND INFO entry's ACL categories ("@admin", ...).
func (v Value) Categories() []Value {
	if len(v.Elems) <= fieldCategories {
		return nil
	}
	return v.Elems[fieldCategories].Elems
}

// Subcommands are a COMMAND INFO entry's subcommand entries.
func (v Value) Subcommands() []Value {
	if len(v.Elems) <= fieldSubcommands {
		return nil
	}
	return v.Elems[fieldSubcommands].Elems
}

var crlf = []byte("\r\n")

// parse reads one RESP3 value from data and returns it with the bytes
// after it.
func parse(data []byte) (Value, []byte, error) {
	i := bytes.Index(data, crlf) // not strings.Index(string(data)...): that copies the rest of the data per element
	if i < 1 {
		return Value{}, nil, fmt.Errorf("resp: truncated")
	}
	kind, head, rest := data[0], string(data[1:i]), data[i+2:]
	switch kind {
	case '+', '-':
		return Value{Kind: kind, Str: head}, rest, nil
	case '_':
		return Value{Kind: kind}, rest, nil
	case ':':
		n, err := strconv.ParseInt(head, 10, 64)
		if err != nil {
			return Value{}, nil, fmt.Errorf("resp: bad integer %q: %w", head, err)
		}
		return Value{Kind: kind, Num: n}, rest, nil
	case '$':
		n, err := strconv.Atoi(head)
		if err != nil || n < 0 || len(rest) < n+2 {
			return Value{}, nil, fmt.Errorf("resp: bad bulk %q", head)
		}
		return Value{Kind: kind, Str: string(rest[:n])}, rest[n+2:], nil
	case '*', '%', '~':
		n, err := strconv.Atoi(head)
		if err != nil {
			return Value{}, nil, fmt.Errorf("resp: bad length %q: %w", head, err)
		}
		if kind == '%' {
			n *= 2
		}
		v := Value{Kind: kind, Elems: make([]Value, 0, n)}
		for range n {
			var e Value
			if e, rest, err = parse(rest); err != nil {
				return Value{}, nil, err
			}
			v.Elems = append(v.Elems, e)
		}
		return v, rest, nil
	}
	return Value{}, nil, fmt.Errorf("resp: unknown type %q", kind)
}
