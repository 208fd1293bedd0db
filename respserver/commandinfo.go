package respserver

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// The COMMAND and COMMAND DOCS replies of redis-sentinel 7.0.15, captured in
// RESP3 so that maps and sets keep their type; clients such as redis-cli
// read them to learn arity and hints, so they are data, not code.
var (
	//go:embed data/command.resp
	commandData []byte
	//go:embed data/docs.resp
	docsData []byte
	//go:embed data/help_sentinel.txt
	helpSentinel string
	//go:embed data/help_client.txt
	helpClient string
	//go:embed data/help_command.txt
	helpCommand string
	//go:embed data/help_acl.txt
	helpACL string
)

// value is a parsed RESP3 reply.
type value struct {
	kind  byte // one of + - : $ * % ~ _
	str   string
	num   int64
	elems []value // map: key, value, key, value...
}

func (v value) write(w *writer) {
	switch v.kind {
	case '+':
		w.simple(v.str)
	case '-':
		w.err(v.str)
	case ':':
		w.integer(v.num)
	case '$':
		w.bulk(v.str)
	case '_':
		w.nullBulk()
	case '*':
		w.array(len(v.elems))
	case '%':
		w.mapLen(len(v.elems) / 2)
	case '~':
		w.setLen(len(v.elems))
	}
	for _, e := range v.elems {
		e.write(w)
	}
}

var crlf = []byte("\r\n")

func parseRESP(data []byte) (value, []byte, error) {
	i := bytes.Index(data, crlf) // not strings.Index(string(data)...): that copies the rest of the data per element
	if i < 1 {
		return value{}, nil, fmt.Errorf("resp: truncated")
	}
	kind, head, rest := data[0], string(data[1:i]), data[i+2:]
	switch kind {
	case '+', '-':
		return value{kind: kind, str: head}, rest, nil
	case '_':
		return value{kind: kind}, rest, nil
	case ':':
		n, err := strconv.ParseInt(head, 10, 64)
		return value{kind: kind, num: n}, rest, err
	case '$':
		n, err := strconv.Atoi(head)
		if err != nil || n < 0 || len(rest) < n+2 {
			return value{}, nil, fmt.Errorf("resp: bad bulk %q", head)
		}
		return value{kind: kind, str: string(rest[:n])}, rest[n+2:], nil
	case '*', '%', '~':
		n, err := strconv.Atoi(head)
		if err != nil {
			return value{}, nil, fmt.Errorf("resp: bad length %q: %w", head, err)
		}
		if kind == '%' {
			n *= 2
		}
		v := value{kind: kind, elems: make([]value, 0, n)}
		for range n {
			var e value
			if e, rest, err = parseRESP(rest); err != nil {
				return value{}, nil, err
			}
			v.elems = append(v.elems, e)
		}
		return v, rest, nil
	}
	return value{}, nil, fmt.Errorf("resp: unknown type %q", kind)
}

// commandTable answers COMMAND and its subcommands from the captured data.
type commandTable struct {
	info  map[string]value // lower-case name -> COMMAND INFO entry
	names []string         // in captured order
	docs  map[string]value // lower-case name -> docs map
	// alias, after rename-command, maps the names clients use to the
	// tables' (original) names; nil when nothing was renamed.
	alias map[string]string
}

func loadCommandTable() (*commandTable, error) {
	all, _, err := parseRESP(commandData)
	if err != nil {
		return nil, fmt.Errorf("command table: %w", err)
	}
	docs, _, err := parseRESP(docsData)
	if err != nil {
		return nil, fmt.Errorf("command docs: %w", err)
	}
	t := &commandTable{info: map[string]value{}, docs: map[string]value{}}
	for _, e := range all.elems {
		name := e.elems[0].str
		t.info[name] = e
		t.names = append(t.names, name)
	}
	for i := 0; i+1 < len(docs.elems); i += 2 {
		t.docs[docs.elems[i].str] = docs.elems[i+1]
	}
	return t, nil
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
