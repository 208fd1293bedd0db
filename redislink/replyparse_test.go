package redislink

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"strconv"
	"testing"
)

func TestReplyStreamAnySplit(t *testing.T) {
	wire := "+OK\r\n-ERR no\r\n:42\r\n$5\r\nhello\r\n$-1\r\n*-1\r\n$0\r\n\r\n" +
		"*3\r\n$7\r\nmessage\r\n$5\r\nhello\r\n*2\r\n:1\r\n$2\r\nab\r\n"
	var want []any
	br := bufio.NewReader(bytes.NewBufferString(wire))
	for br.Buffered() > 0 || len(want) == 0 {
		v, err := readReplyLimits(br, 0, 1<<20, 16)
		if err != nil {
			break
		}
		want = append(want, v)
	}
	if len(want) != 8 {
		t.Fatalf("reference reader read %d replies", len(want))
	}
	// Every way of cutting the bytes in two and in single bytes.
	cuts := [][]int{}
	for k := 0; k <= len(wire); k++ {
		cuts = append(cuts, []int{k})
	}
	every := []int{}
	for k := 1; k < len(wire); k++ {
		every = append(every, k)
	}
	cuts = append(cuts, every)
	for _, cut := range cuts {
		s := replyStream{maxBulk: 1 << 20, maxArray: 16}
		var got []any
		prev := 0
		for _, c := range append(cut, len(wire)) {
			if err := s.feed([]byte(wire[prev:c]), func(v any) bool { got = append(got, v); return true }); err != nil {
				t.Fatalf("cut %v: %v", cut, err)
			}
			prev = c
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("cut %v: got %#v, want %#v", cut, got, want)
		}
		if len(s.partial) != 0 {
			t.Fatalf("cut %v: %d bytes left over", cut, len(s.partial))
		}
	}
}

func TestReplyStreamRejectsGarbage(t *testing.T) {
	for _, bad := range []string{"?x\r\n", "$abc\r\n", "$3\r\nabcde\r\n", "*99\r\n", "+no cr\n", "$99999999\r\n"} {
		s := replyStream{maxBulk: 1 << 20, maxArray: 16}
		if err := s.feed([]byte(bad), func(any) bool { return true }); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	s := replyStream{maxBulk: 1 << 20, maxArray: 16}
	if err := s.feed(bytes.Repeat([]byte("a"), maxReplyLine+2), func(any) bool { return true }); err == nil {
		t.Error("endless line: no error")
	}
}

func TestReplyStreamStops(t *testing.T) {
	s := replyStream{maxBulk: 1 << 20, maxArray: 16}
	n := 0
	s.feed([]byte("+a\r\n+b\r\n+c"), func(any) bool { n++; return false })
	if n != 1 || len(s.partial) != 0 {
		t.Fatalf("each called %d times, %d bytes kept", n, len(s.partial))
	}
}

func FuzzParseReply(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nfoo\r\n:1\r\n"))
	f.Add([]byte("$-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := parseReply(b, 0, 1<<20, 64)
		if err != nil || n == 0 {
			return
		}
		if n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
		ref, rerr := readReplyLimits(bufio.NewReader(bytes.NewReader(b[:n])), 0, 1<<20, 64)
		if rerr != nil || !reflect.DeepEqual(ref, v) {
			t.Fatalf("parseReply %#v, readReplyLimits %#v (%v)", v, ref, rerr)
		}
	})
}

// readReplyLimits is the blocking bufio reader the links used before they
// parsed from bytes; kept here as the reference parseReply is checked
// against. It reads one RESP2 reply, refusing bulks over maxBulk bytes and
// arrays over maxArray elements or nested deeper than 4.
func readReplyLimits(br *bufio.Reader, depth, maxBulk, maxArray int) (any, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, errors.New("resp: bad line")
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return replyErr(body), nil
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxBulk {
			return nil, errors.New("resp: bad bulk length")
		}
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n > maxArray || depth > 4 {
			return nil, errors.New("resp: bad array")
		}
		if n < 0 {
			return nil, nil
		}
		out := make([]any, n)
		for k := range out {
			if out[k], err = readReplyLimits(br, depth+1, maxBulk, maxArray); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errors.New("resp: unknown reply type")
}

func TestKnownRepliesAllocateNothing(t *testing.T) {
	msg := []byte("*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n")
	pong := []byte("+PONG\r\n")
	if n := testing.AllocsPerRun(100, func() { parseReply(pong, 0, 1<<20, 16) }); n != 0 {
		t.Errorf("+PONG: %v allocations, want 0", n)
	}
	// The array (backing and box) and the payload (bytes and box) are
	// allocated; the kind and channel not.
	if n := testing.AllocsPerRun(100, func() { parseReply(msg, 0, 1<<20, 16) }); n > 4 {
		t.Errorf("a pub/sub message: %v allocations, want at most 4", n)
	}
	v, _, _ := parseReply(msg, 0, 1<<20, 16)
	if a, ok := v.([]any); !ok || len(a) != 3 || a[0] != "message" || a[1] != "__sentinel__:hello" || a[2] != "hello" {
		t.Fatalf("parsed %#v", v)
	}
}
