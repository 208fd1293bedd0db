package redislink

import (
	"bufio"
	"io"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// nopTransport is a transport that goes nowhere.
type nopTransport struct{ closed bool }

func (t *nopTransport) Write(b []byte) (int, error)     { return len(b), nil }
func (t *nopTransport) SetReadDeadline(time.Time) error { return nil }
func (t *nopTransport) Close() error                    { t.closed = true; return nil }
func newTestSubConn(handshakes int, h SubHandler) *subConn {
	s := &subscription{h: h}
	c := &subConn{s: s, tr: &nopTransport{}, handshakes: handshakes, rs: replyStream{maxBulk: maxPubSubBulk, maxArray: 16}}
	c.onReply = c.reply
	c.rs.peek = c.peekMessage
	return c
}

// A pub/sub link delivers the same messages, in order, however its bytes
// are cut: messages read in place and everything else (the handshake's
// replies, the SUBSCRIBE confirmation, a message with an empty payload)
// through the reply parser.
func TestSubConnMessagesAnySplit(t *testing.T) {
	msg := func(p string) string {
		return "*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$" + strconv.Itoa(len(p)) + "\r\n" + p + "\r\n"
	}
	wire := "+OK\r\n" + msg("early") + // a message before the handshake is done is the handshake's
		"*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n" +
		msg("127.0.0.1,26379,aaaa,0,m,127.0.0.1,6379,0") + msg("") + msg("second") +
		"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n:5\r\n" + // not a bulk payload: ignored
		msg(strings.Repeat("x", 300))
	want := []string{"<subscribed>", "127.0.0.1,26379,aaaa,0,m,127.0.0.1,6379,0", "second", strings.Repeat("x", 300)}
	for cut := 0; cut <= len(wire); cut++ {
		for _, step := range []int{0, 1} {
			var got []string
			c := newTestSubConn(2, SubHandler{
				Subscribed: func() { got = append(got, "<subscribed>") },
				Message:    func(p []byte) { got = append(got, string(p)) },
			})
			if step == 1 {
				for k := range len(wire) {
					c.Data([]byte(wire[k : k+1]))
				}
			} else {
				c.Data([]byte(wire[:cut]))
				c.Data([]byte(wire[cut:]))
			}
			if c.tr.(*nopTransport).closed {
				t.Fatalf("cut %d step %d: closed", cut, step)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("cut %d step %d: got %q, want %q", cut, step, got, want)
			}
			if step == 1 {
				break
			}
		}
	}
}

// A hello arriving on a pub/sub link costs no allocation.
func TestSubConnMessageAllocatesNothing(t *testing.T) {
	hello := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",0,mymaster,127.0.0.1,6379,0"
	wire := []byte("*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$" + strconv.Itoa(len(hello)) + "\r\n" + hello + "\r\n")
	n := 0
	c := newTestSubConn(0, SubHandler{Message: func(p []byte) { n += len(p) }})
	if a := testing.AllocsPerRun(100, func() { c.Data(wire) }); a != 0 {
		t.Errorf("%v allocations per message, want 0", a)
	}
	if n == 0 {
		t.Fatal("no message delivered")
	}
}

// A second after a failed dial the owner is asked before the next one; a
// no ends the subscription without dialling (SubHandler.Retry: the
// sentinel parks the pub/sub link of an instance whose command link is
// down too).
func TestSubscribeAsksBeforeRedialling(t *testing.T) {
	eachReader(t, testSubscribeAsksBeforeRedialling)
}

func testSubscribeAsksBeforeRedialling(t *testing.T, loop *eventloop.Loop) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	var mu sync.Mutex
	drops, asks := 0, 0
	stop := RedisDialer{Loop: loop}.Subscribe(ConnOptions{Addr: addr, Timeout: time.Second}, "ch", SubHandler{
		Dropped: func() { mu.Lock(); drops++; mu.Unlock() },
		Retry:   func() bool { mu.Lock(); defer mu.Unlock(); asks++; return false },
	})
	defer stop()
	time.Sleep(2500 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if drops != 1 || asks != 1 {
		t.Fatalf("after a refused dial and a no: %d drops (want 1: no second dial), %d questions (want 1)", drops, asks)
	}
}

// A SUBSCRIBE refused and the connection closed before the dialling
// goroutine says "connected" ends as dropped: the owner is not told the
// link is up after it was told it went down.
func TestSubscribeRefusedBeforeConnectedEndsDropped(t *testing.T) {
	addr := serveEach(t, func(c net.Conn) {
		buf := make([]byte, 512)
		c.Read(buf)
		c.Write([]byte("-NOAUTH Authentication required.\r\n"))
		c.Close()
	})
	var mu sync.Mutex
	var events []string
	note := func(e string) { mu.Lock(); events = append(events, e); mu.Unlock() }
	dropped := make(chan struct{}, 1)
	s := &subscription{opts: ConnOptions{Addr: addr, Timeout: time.Second}, channel: "ch",
		h: SubHandler{
			Connected: func() { note("connected") },
			Dropped:   func() { note("dropped"); dropped <- struct{}{} },
			Retry:     func() bool { return false },
		},
		// The refusal is read and the connection closed meanwhile.
		beforeConnected: func() { <-dropped },
	}
	s.connect()
	defer s.stop()
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || events[len(events)-1] != "dropped" {
		t.Fatalf("callbacks %v: the last must be dropped", events)
	}
}

// serveEach listens on a loopback port until the test ends and runs serve
// on every connection, each in a goroutine of its own; it returns the
// address.
func serveEach(t testing.TB, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// deadlineTransport remembers the last read deadline set.
type deadlineTransport struct {
	nopTransport
	deadline time.Time
}

func (t *deadlineTransport) SetReadDeadline(d time.Time) error { t.deadline = d; return nil }

// A silent pub/sub link is dropped after pubSubIdleLimit, but not while it
// is younger than ConnOptions.MinAge (redis-sentinel's
// min-link-reconnect-period covers both links).
func TestSubConnSilenceLimitHonoursMinAge(t *testing.T) {
	for _, tc := range []struct {
		minAge time.Duration
		want   time.Duration // from the connect
	}{
		{0, pubSubIdleLimit},
		{time.Second, pubSubIdleLimit},
		{time.Minute, time.Minute},
	} {
		c := newTestSubConn(0, SubHandler{})
		tr := &deadlineTransport{}
		c.tr = tr
		c.born = time.Now()
		c.s.opts.MinAge = func() time.Duration { return tc.minAge }
		c.heard()
		if got := tr.deadline.Sub(c.born); got < tc.want || got > tc.want+time.Second {
			t.Errorf("MinAge %v: silence limit %v after the connect, want %v", tc.minAge, got, tc.want)
		}
	}
}

// The owner hears "connected" once per connection, before the server's
// confirmation, whether the connection was dialled or opened by the event
// loop (which says it when the connect completes).
func TestSubscribeConnectedBeforeSubscribed(t *testing.T) {
	eachReader(t, testSubscribeConnectedBeforeSubscribed)
}

func testSubscribeConnectedBeforeSubscribed(t *testing.T, loop *eventloop.Loop) {
	addr := serveEach(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if args, _ := readCommand(br); len(args) == 2 && args[0] == "SUBSCRIBE" {
			c.Write([]byte("*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"))
		}
		io.Copy(io.Discard, br)
	})
	got := make(chan string, 16)
	h := chanHandler(got)
	h.Connected = func() { got <- "<connected>" }
	stop := RedisDialer{Loop: loop}.Subscribe(ConnOptions{Addr: addr, Timeout: time.Second}, "ch", h)
	defer stop()
	for _, want := range []string{"<connected>", "<subscribed>"} {
		select {
		case e := <-got:
			if e != want {
				t.Fatalf("got %s, want %s", e, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s", want)
		}
	}
	select {
	case e := <-got:
		t.Fatalf("then %s, want nothing", e)
	case <-time.After(300 * time.Millisecond):
	}
}
