package respserver

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// A request whose bytes have all arrived is read in one piece
// (reader.buffered); it must give what reading it as its bytes trickle in
// gives: the same arguments, errors and size held.
func TestBufferedArgumentsAsTrickled(t *testing.T) {
	hello := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",0,mymaster,127.0.0.1,6379,0"
	cases := []string{
		fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$18\r\n__sentinel__:hello\r\n$%d\r\n%s\r\n", len(hello), hello),
		"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
		"*2\r\n$4\r\nECHO\r\n$03\r\nabc\r\n",                                   // leading zero
		"*2\r\n$4\r\nECHO\r\n$-1\r\n",                                          // negative
		"*2\r\n$4\r\nECHO\r\n$+3\r\nabc\r\n",                                   // sign
		"*2\r\n$4\r\nECHO\r\n$3\r\nabcXY",                                      // the two bytes after the data are not looked at
		"*2\r\n$4\r\nECHO\r\n:3\r\nabc\r\n",                                    // not a bulk
		"*2\r\n$4\r\nECHO\r\n$3\x00\r\nabc\r\n",                                // NUL in a header
		"*2\r\n$4\r\nECHO\r\n$20000\r\n" + strings.Repeat("x", 20000) + "\r\n", // over the unauthenticated limit
		"*2\r\n$4\r\nECHO\r\n$9999999999\r\n",                                  // over proto-max-bulk-len
		"*20\r\n" + strings.Repeat("$1\r\na\r\n", 20),                          // more arguments than read in one piece
		"*3\r\n$1\r\na\r\n$1\r\nb\r\n",                                         // cut short
		manyMixed(60),                                                          // over this test's query buffer limit: small arguments in shared arrays (reader.next) reach it as those read in pieces do
		manyMixed(3000),                                                        // the same request announcing 3,000
	}
	for _, c := range cases {
		for _, authed := range []bool{true, false} {
			l := DefaultLimits()
			l.MaxQueryBuffer = 4096 + 64
			whole := readAll(newReader(bytes.NewReader([]byte(c)), &l, func() bool { return authed }))
			trickled := readAll(newReader(iotest.OneByteReader(bytes.NewReader([]byte(c))), &l, func() bool { return authed }))
			if whole != trickled {
				t.Errorf("%.80q (authed %v):\nwhole:    %.300s\ntrickled: %.300s", c, authed, whole, trickled)
			}
		}
	}
}

// A request of many arguments read piece by piece gives each argument
// its own bytes however its bytes arrive: small ones share arrays
// (reader.next), large ones do not, some arrive whole after their header,
// some in pieces, mixed in one request.
func TestManyArgumentsEachTheirOwn(t *testing.T) {
	for _, n := range []int{60, 3000} { // 3000: more than one shared array holds
		req := manyMixed(n)
		l := DefaultLimits()
		for name, in := range inPieces([]byte(req)) {
			args, err := newReader(in, &l, func() bool { return true }).next()
			if err != nil || len(args) != n {
				t.Fatalf("%d arguments, read %s: %d, %v", n, name, len(args), err)
			}
			for k, a := range args {
				if want := mixedArg(k); string(a) != want || cap(a) != len(a) {
					t.Fatalf("%d arguments, read %s: argument %d is %.40q (cap %d), want %.40q", n, name, k, a, cap(a), want)
				}
			}
		}
	}
}

// manyMixed is a request of n arguments, most of a few bytes, every
// seventh of 300 (over arenaArgMax), each telling its place.
func manyMixed(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", n)
	for k := range n {
		arg := mixedArg(k)
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(arg), arg)
	}
	return b.String()
}

func mixedArg(k int) string {
	arg := strconv.Itoa(k)
	if k%7 == 3 {
		arg += strings.Repeat("L", 300-len(arg))
	}
	return arg
}

// inPieces is data as readers hand it out: whole, byte by byte, and in
// reads of 1 to 17 bytes.
func inPieces(data []byte) map[string]io.Reader {
	return map[string]io.Reader{
		"whole":    bytes.NewReader(data),
		"one byte": iotest.OneByteReader(bytes.NewReader(data)),
		"1 to 17":  &cyclingReader{r: bytes.NewReader(data)},
	}
}

// cyclingReader reads 1, 2, ... 17 bytes at a time, then again.
type cyclingReader struct {
	r    io.Reader
	next int
}

func (c *cyclingReader) Read(p []byte) (int, error) {
	c.next = c.next%17 + 1
	return c.r.Read(p[:min(len(p), c.next)])
}

// readAll describes every request r reads until an error.
func readAll(r *reader) string {
	var b strings.Builder
	for {
		args, err := r.next()
		if err != nil {
			if err != io.EOF {
				// (How much a failed request held depends on the
				// sizes of the reads, not on how it is parsed.)
				fmt.Fprintf(&b, "error %v", err)
			}
			return b.String()
		}
		fmt.Fprintf(&b, "%q (size %d); ", args, r.size)
	}
}

// A peer's hello, PUBLISH with three arguments, is read in two
// allocations (the argument slice and one array for their bytes), and in
// none when the last one's are handed back (recycle).
func TestPublishReadInTwoAllocations(t *testing.T) {
	hello := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",0,mymaster,127.0.0.1,6379,0"
	req := []byte(fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$18\r\n__sentinel__:hello\r\n$%d\r\n%s\r\n", len(hello), hello))
	l := DefaultLimits()
	in := bytes.NewReader(nil)
	r := newReader(in, &l, func() bool { return true })
	read := func() [][]byte {
		in.Reset(req)
		args, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		return args
	}
	if n := testing.AllocsPerRun(100, func() { read() }); n > 2 {
		t.Errorf("%v allocations per PUBLISH, want 2", n)
	}
	if n := testing.AllocsPerRun(100, func() { r.recycle(read()) }); n != 0 {
		t.Errorf("%v allocations per PUBLISH recycled, want 0", n)
	}
	// Reused memory holds the new request, not the old one.
	args := read()
	r.recycle(args)
	in.Reset([]byte("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"))
	next, err := r.next()
	if err != nil || len(next) != 2 || string(next[0]) != "ECHO" || string(next[1]) != "hi" {
		t.Fatalf("after recycle: %q, %v", next, err)
	}
	// Arguments that are not those read last are not taken back.
	r.recycle([][]byte{[]byte("PUBLISH")})
	if r.spare.arena != nil {
		t.Fatal("took back arguments that were not read last")
	}
}

// FuzzReadInAnyPieces reads arbitrary bytes whole, byte by byte and in
// reads of 1 to 17 bytes: every way must give the same requests and the
// same error (the generator for reader.next's shared arrays, whose first
// version handed one argument another's bytes).
func FuzzReadInAnyPieces(f *testing.F) {
	for _, seed := range []string{
		manyMixed(40),
		"*20\r\n" + strings.Repeat("$1\r\na\r\n", 20),
		"*18\r\n" + strings.Repeat("$300\r\n"+strings.Repeat("x", 300)+"\r\n", 18),
		"*17\r\n$0\r\n\r\n$257\r\n" + strings.Repeat("y", 257) + "\r\n" + strings.Repeat("$2\r\nab\r\n", 15),
		"PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l := DefaultLimits()
		authed := func() bool { return true }
		whole := readAll(newReader(bytes.NewReader(data), &l, authed))
		for name, in := range inPieces(data) {
			if got := readAll(newReader(in, &l, authed)); got != whole {
				t.Fatalf("%.100q read %s:\n%.400s\nwhole:\n%.400s", data, name, got, whole)
			}
		}
	})
}
