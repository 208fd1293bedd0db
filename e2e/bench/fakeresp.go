package main

import (
	"bytes"
	"errors"
	"strconv"
)

// The fake host's limits on what a client sends, as before it moved onto
// an event loop (a bufio reader per connection): at most 1,024 arguments
// and 1 MiB per argument. A line without its end may grow to 64 KiB, as
// Redis allows an inline command, before the connection is dropped.
const (
	maxFakeArgs    = 1024
	maxFakeBulk    = 1 << 20
	maxFakeLineLen = 64 << 10
)

var (
	errFakeMultibulk = errors.New("bad multibulk length")
	errFakeBulk      = errors.New("expected bulk")
	errFakeBulkLen   = errors.New("bad bulk length")
	errFakeLine      = errors.New("line too long")
)

// parseCommand parses the command at the start of b, a RESP array of bulk
// strings or an inline command, and appends its arguments to args as
// slices of b (valid as long as b is). n is how many bytes it took; 0
// means b holds only the start of a command, to be parsed again when more
// has come. An empty command (an empty line, "*0") takes its bytes and
// no arguments.
func parseCommand(b []byte, args [][]byte) (_ [][]byte, n int, err error) {
	line, next, err := fakeLine(b, 0)
	if next == 0 || err != nil {
		return args, 0, err
	}
	if len(line) == 0 || line[0] != '*' {
		return append(args, bytes.Fields(line)...), next, nil
	}
	count, err := strconv.Atoi(string(line[1:]))
	if err != nil || count > maxFakeArgs {
		return args, 0, errFakeMultibulk
	}
	at := next
	for range count {
		h, next, err := fakeLine(b, at)
		if next == 0 || err != nil {
			return args, 0, err
		}
		if len(h) == 0 || h[0] != '$' {
			return args, 0, errFakeBulk
		}
		l, err := strconv.Atoi(string(h[1:]))
		if err != nil || l < 0 || l > maxFakeBulk {
			return args, 0, errFakeBulkLen
		}
		if len(b)-next < l+2 {
			return args, 0, nil
		}
		args = append(args, b[next:next+l])
		at = next + l + 2 // the CRLF after the bulk is not checked, as before
	}
	return args, at, nil
}

// fakeLine returns the line starting at b[at] without its CR LF and where
// the next one starts; next is 0 while the line has no end yet.
func fakeLine(b []byte, at int) (line []byte, next int, err error) {
	i := bytes.IndexByte(b[at:], '\n')
	if i < 0 {
		if len(b)-at > maxFakeLineLen {
			return nil, 0, errFakeLine
		}
		return nil, 0, nil
	}
	line = b[at : at+i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, at + i + 1, nil
}

// appendBulk appends s as a RESP bulk string.
func appendBulk[S ~string | ~[]byte](out []byte, s S) []byte {
	out = append(out, '$')
	out = strconv.AppendInt(out, int64(len(s)), 10)
	out = append(out, "\r\n"...)
	out = append(out, s...)
	return append(out, "\r\n"...)
}

// appendInt appends n as a RESP integer.
func appendInt(out []byte, n int) []byte {
	out = append(out, ':')
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, "\r\n"...)
}

// appendArrayLen appends the header of a RESP array of n elements.
func appendArrayLen(out []byte, n int) []byte {
	out = append(out, '*')
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, "\r\n"...)
}
