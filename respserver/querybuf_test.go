package respserver

import (
	"bytes"
	"io"
	"testing"
)

// The sizes of redis 7.0's query buffer reads, as its allocator makes
// them: 16 KiB into an empty buffer (alloc 20474 from jemalloc's 20 KiB
// class), then greedy growth to (16 KiB + 16 KiB) * 2 = 64 KiB, which
// jemalloc rounds up to 80 KiB (alloc 81910).
func TestQueryBufReadSizes(t *testing.T) {
	if got := sdsUsable(16384); got != 20474 {
		t.Errorf("sdsUsable(16384) = %d, want 20474", got)
	}
	if got := sdsUsable(65536); got != 81910 {
		t.Errorf("sdsUsable(65536) = %d, want 81910", got)
	}
	var sizes []int
	q := queryBuf{r: readerFunc(func(p []byte) (int, error) {
		sizes = append(sizes, len(p))
		return len(p), nil
	})}
	for range 3 {
		if err := q.fill(); err != nil {
			t.Fatal(err)
		}
	}
	// The third read: the buffer full, it grows to (81910 + 16 KiB) * 2,
	// jemalloc's 192 KiB class.
	want := []int{16384, 81910 - 16384, 196598 - 81910}
	for i := range want {
		if sizes[i] != want[i] {
			t.Errorf("read sizes %v, want %v", sizes, want)
			break
		}
	}
	if got := len(q.bytes()); got != 16384+sizes[1]+sizes[2] {
		t.Errorf("buffered %d", got)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// A line of 70 KiB that arrives at once is read in two reads (16 KiB,
// then the rest) and taken; 66 KiB with no line end is refused.
func TestInlineLimitAfterRead(t *testing.T) {
	l := DefaultLimits()
	line := append([]byte("PING "), bytes.Repeat([]byte("x"), 70*1024)...)
	r := newReader(bytes.NewReader(append(line, '\r', '\n')), &l, func() bool { return true })
	args, err := r.next()
	if err != nil || len(args) != 2 || len(args[1]) != 70*1024 {
		t.Fatalf("70 KiB line: %d args, %v", len(args), err)
	}
	r = newReader(io.MultiReader(bytes.NewReader(bytes.Repeat([]byte("a"), 66*1024))), &l, func() bool { return true })
	if _, err := r.next(); err == nil || err.Error() != "Protocol error: too big inline request" {
		t.Fatalf("66 KiB without a line end: %v", err)
	}
}

func TestString2ll(t *testing.T) {
	for in, want := range map[string]bool{
		"0": true, "1": true, "-1": true, "9223372036854775807": true,
		"": false, "+1": false, "01": false, "-0": false, "-": false, " 1": false,
		"1 ": false, "9223372036854775808": false, "123456789012345678901": false,
	} {
		if _, ok := string2ll([]byte(in)); ok != want {
			t.Errorf("string2ll(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

// A multibulk count near INT_MAX is accepted, as redis does, but empty
// arguments still count against the query buffer limit.
func TestManyEmptyArgumentsHitTheLimit(t *testing.T) {
	l := DefaultLimits()
	l.MaxQueryBuffer = 64 * 1024
	in := append([]byte("*2000000000\r\n"), bytes.Repeat([]byte("$0\r\n\r\n"), 10000)...)
	r := newReader(bytes.NewReader(in), &l, func() bool { return true })
	if _, err := r.next(); err != errQueryBufferLimit {
		t.Fatalf("10,000 empty arguments under a 64 KiB limit: %v", err)
	}
}
