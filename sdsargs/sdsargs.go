// Package sdsargs is redis's argument syntax (sds.c): splitting a line
// into arguments like sdssplitargs, used for config files and inline
// commands, and quoting like sdscatrepr, used when redis writes a config.
// One implementation, so that the config parser and the RESP server read
// the same bytes the same way redis does.
package sdsargs

import (
	"errors"
	"strings"
)

// ErrUnbalanced is what Split returns where sdssplitargs returns NULL.
var ErrUnbalanced = errors.New("unbalanced quotes")

// Split splits one config line into arguments exactly like redis's
// sdssplitargs (sds.c): blanks separate arguments; "double quotes" honour
// \xHH, \n, \r, \t, \b, \a and backslash-anything; 'single quotes' only
// honour \'; a closing quote must be followed by a blank or the end. Being
// byte-for-byte faithful matters because a file that redis-sentinel accepts
// must mean the same thing to us, and vice versa.
func Split(line string) ([]string, error) {
	// The line reaches redis as a C string: a NUL ends it.
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	var args []string
	p, n := 0, len(line)
	for {
		// Skipping uses isspace, which also knows \v and \f.
		for p < n && IsSpace(line[p]) {
			p++
		}
		if p >= n {
			return args, nil
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			var c byte // 0 stands for the terminating NUL
			if p < n {
				c = line[p]
			}
			switch {
			case inq:
				switch {
				case c == '\\' && p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, hexVal(line[p+2])<<4|hexVal(line[p+3]))
					p += 3
				case c == '\\' && p+1 < n:
					p++
					switch e := line[p]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if p+1 < n && !IsSpace(line[p+1]) {
						return nil, ErrUnbalanced
					}
					done = true
				case c == 0:
					return nil, ErrUnbalanced
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && p+1 < n && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if p+1 < n && !IsSpace(line[p+1]) {
						return nil, ErrUnbalanced
					}
					done = true
				case c == 0:
					return nil, ErrUnbalanced
				default:
					cur = append(cur, c)
				}
			default:
				switch {
				case c == 0 || EndsWord(c):
					done = true
				case c == '"':
					inq = true
				case c == '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < n {
				p++
			}
		}
		args = append(args, string(cur))
	}
}

// EndsWord reports whether c ends an unquoted word in sdssplitargs: the
// white space isspace knows, but not \v or \f (skipped before a word,
// kept inside one).
func EndsWord(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// IsSpace is C's isspace in the "C" locale.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// Repr quotes s like redis's sdscatrepr, the inverse of Split for a
// double-quoted argument.
func Repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				const hex = "0123456789abcdef"
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Quote returns s unchanged when Split would read it back as one
// identical argument, and Repr(s) otherwise. redis-sentinel writes most
// values raw with %s, so a password with a space becomes a file it cannot
// load again; quoting only when needed keeps ordinary lines identical to
// redis's while avoiding that trap.
func Quote(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' {
			return Repr(s)
		}
	}
	return s
}

// AppendQuote appends Quote(s) to dst; without quoting it allocates
// nothing (a config save writes thousands of words).
func AppendQuote(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, `""`...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '"' || c == '\'' {
			return append(dst, Repr(s)...)
		}
	}
	return append(dst, s...)
}

// Join renders arguments as one config line.
func Join(args ...string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
