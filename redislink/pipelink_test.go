package redislink

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// respStub answers each command line-protocol style: PING -> +PONG,
// ERR -> an error reply, SLOW -> stalls the connection (the client must
// time out), LATE <ms> -> its name after ms milliseconds,
// anything else -> its name as a bulk string. It records what it got.
type respStub struct {
	ln   net.Listener
	mu   sync.Mutex
	got  []string
	acc  int
	done chan struct{}
}

func newRespStub(t *testing.T) *respStub {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &respStub{ln: ln, done: make(chan struct{})}
	t.Cleanup(func() { ln.Close(); <-s.done })
	go func() {
		defer close(s.done)
		var wg sync.WaitGroup
		for {
			c, err := ln.Accept()
			if err != nil {
				wg.Wait()
				return
			}
			s.mu.Lock()
			s.acc++
			s.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	return s
}

func (s *respStub) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		args, err := readCommand(br)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.got = append(s.got, strings.Join(args, " "))
		s.mu.Unlock()
		switch strings.ToUpper(args[0]) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "ERR":
			c.Write([]byte("-ERR nope\r\n"))
		case "LATE":
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
			c.Write([]byte("$4\r\nLATE\r\n"))
		case "SLOW":
			// Like a busy server: nothing more on this connection.
			time.Sleep(500 * time.Millisecond)
			return
		default:
			c.Write([]byte("$" + strconv.Itoa(len(args[0])) + "\r\n" + args[0] + "\r\n"))
		}
	}
}

// readCommand reads one command as a client sends it (an array of bulks).
func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil || len(line) < 2 {
		return nil, fmt.Errorf("command line %q: %w", line, err)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	var args []string
	for range n {
		br.ReadString('\n')
		a, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimSpace(a))
	}
	return args, nil
}

func (s *respStub) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...)
}

func stubAddr(s *respStub) string { return s.ln.Addr().String() }

func TestPipeLinkOrderErrorsAndHandshake(t *testing.T) {
	eachReader(t, testPipeLinkOrderErrorsAndHandshake)
}

func testPipeLinkOrderErrorsAndHandshake(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Password: "pw", ClientName: "sentinel-x-cmd", Timeout: time.Second}, loop, nil)
	defer l.Close()
	type res struct {
		v   any
		err error
	}
	out := make(chan res, 3)
	for _, cmd := range []string{"PING", "ERR", "INFO"} {
		l.Send(0, func(v any, err error) { out <- res{v, err} }, cmd)
	}
	r1, r2, r3 := <-out, <-out, <-out
	if r1.v != "PONG" || r1.err != nil {
		t.Errorf("PING: %v %v", r1.v, r1.err)
	}
	if !IsReplyError(r2.err) || ErrorText(r2.err) != "ERR nope" {
		t.Errorf("ERR: %v %v, want a reply error", r2.v, r2.err)
	}
	if r3.v != "INFO" {
		t.Errorf("INFO: %v %v", r3.v, r3.err)
	}
	got := s.commands()
	want := []string{"AUTH pw", "CLIENT SETNAME sentinel-x-cmd", "PING", "ERR", "INFO"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("server got %q, want %q", got, want)
	}
	if l.LocalIP() != "127.0.0.1" {
		t.Errorf("LocalIP %q", l.LocalIP())
	}
}

func TestPipeLinkTimeoutDropsAndRedials(t *testing.T) {
	eachReader(t, testPipeLinkTimeoutDropsAndRedials)
}

func testPipeLinkTimeoutDropsAndRedials(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second}, loop, nil)
	defer l.Close()
	errs := make(chan error, 2)
	l.Send(100*time.Millisecond, func(_ any, err error) { errs <- err }, "SLOW")
	l.Send(time.Second, func(_ any, err error) { errs <- err }, "PING")
	for range 2 {
		if err := <-errs; err == nil || IsReplyError(err) {
			t.Fatalf("commands behind an unanswered one: %v, want a transport error", err)
		}
	}
	v, err := l.Do(context.Background(), "PING")
	if err != nil || v != "PONG" {
		t.Fatalf("after the drop: %v %v", v, err)
	}
	s.mu.Lock()
	acc := s.acc
	s.mu.Unlock()
	if acc != 2 {
		t.Errorf("%d connections, want a second one after the timeout", acc)
	}
}

// TestPipeLinkKeptWhileYoungerThanMinAge is redis-sentinel's
// min-link-reconnect-period: a late reply does not drop a connection
// younger than it, and does once the connection is older; a change of the
// period applies to a connection already open.
func TestPipeLinkKeptWhileYoungerThanMinAge(t *testing.T) {
	eachReader(t, testPipeLinkKeptWhileYoungerThanMinAge)
}

func testPipeLinkKeptWhileYoungerThanMinAge(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	var minAge atomic.Int64
	minAge.Store(int64(2 * time.Second))
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second,
		MinAge: func() time.Duration { return time.Duration(minAge.Load()) }}, loop, nil)
	defer l.Close()
	late := func() (any, error) {
		ch := make(chan error, 1)
		var got any
		// Later than the event loop's idle check of deadlines (500 ms).
		l.Send(50*time.Millisecond, func(v any, err error) { got = v; ch <- err }, "LATE", "700")
		err := <-ch
		return got, err
	}
	connections := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.acc
	}
	start := time.Now()
	if v, err := late(); err != nil || v != "LATE" {
		t.Fatalf("a reply 700 ms late on a connection younger than MinAge: %v %v, want it kept and answered", v, err)
	}
	if v, err := l.Do(context.Background(), "PING"); err != nil || v != "PONG" || connections() != 1 {
		t.Fatalf("after it: %v %v on %d connections, want the same one", v, err, connections())
	}
	time.Sleep(2*time.Second - time.Since(start) + 100*time.Millisecond)
	if _, err := late(); err == nil || IsReplyError(err) {
		t.Fatalf("a late reply on a connection older than MinAge: %v, want a transport error", err)
	}
	if v, err := l.Do(context.Background(), "PING"); err != nil || v != "PONG" || connections() != 2 {
		t.Fatalf("after the drop: %v %v on %d connections, want a second one", v, err, connections())
	}
	minAge.Store(int64(time.Millisecond)) // the new connection is already older
	if _, err := late(); err == nil || IsReplyError(err) {
		t.Fatalf("after MinAge was lowered: %v, want the late reply to drop the connection", err)
	}
}

func TestPipeLinkTxAndClosed(t *testing.T) { eachReader(t, testPipeLinkTxAndClosed) }

func testPipeLinkTxAndClosed(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second}, loop, nil)
	if err := l.Tx(context.Background(), [][]any{{"MULTI"}, {"ERR"}, {"SLAVEOF", "NO", "ONE"}, {"EXEC"}}); err != nil {
		t.Fatalf("Tx: %v (reply errors inside a transaction are not transport errors)", err)
	}
	if got := strings.Join(s.commands(), "|"); got != "MULTI|ERR|SLAVEOF NO ONE|EXEC" {
		t.Errorf("server got %q", got)
	}
	l.Close()
	if _, err := l.Do(context.Background(), "PING"); err == nil {
		t.Error("Do on a closed link succeeded")
	}
}

func TestPipeLinkDialFailure(t *testing.T) { eachReader(t, testPipeLinkDialFailure) }

func testPipeLinkDialFailure(t *testing.T, loop *eventloop.Loop) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	l := newPipeLink(ConnOptions{Addr: addr, Timeout: time.Second}, loop, nil)
	defer l.Close()
	_, err := l.Do(context.Background(), "PING")
	if err == nil || IsReplyError(err) {
		t.Fatalf("PING to a closed port: %v", err)
	}
	// The sentinel budgets its redials to ports that refuse
	// (failover.RedialBudget): the refusal must be recognisable.
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("PING to a closed port failed with %v, not recognisable as ECONNREFUSED", err)
	}
}

// eachReader runs a link test with the event loop and with a reader
// goroutine per connection (TLS links and systems without epoll).
func eachReader(t *testing.T, test func(*testing.T, *eventloop.Loop)) {
	t.Run("goroutine", func(t *testing.T) { test(t, nil) })
	t.Run("eventloop", func(t *testing.T) {
		loop, err := eventloop.New()
		if err != nil {
			t.Skip(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); loop.Run(ctx) }()
		defer func() { cancel(); <-done }()
		test(t, loop)
	})
}

// A subscription delivers messages, tells of each confirmation with an
// empty payload, resubscribes after the server drops it, and stops with
// its context.
func TestSubscribeReconnects(t *testing.T) { eachReader(t, testSubscribeReconnects) }

func testSubscribeReconnects(t *testing.T, loop *eventloop.Loop) {
	ln, conns := acceptingListener(t)
	got := make(chan string, 16)
	stop := RedisDialer{Loop: loop}.Subscribe(ConnOptions{Addr: ln.Addr().String(), Password: "pw", Timeout: time.Second},
		"__sentinel__:hello", chanHandler(got))
	defer stop()
	next := func() string {
		select {
		case p := <-got:
			return p
		case <-time.After(5 * time.Second):
			t.Fatal("no message")
			return ""
		}
	}
	serve := func() net.Conn {
		var c net.Conn
		select {
		case c = <-conns:
		case <-time.After(5 * time.Second):
			t.Fatal("no connection")
		}
		br := bufio.NewReader(c)
		for _, want := range []string{"AUTH", "SUBSCRIBE"} {
			args, _ := readCommand(br)
			if len(args) == 0 || args[0] != want {
				t.Fatalf("got %q, want %s", args, want)
			}
		}
		c.Write([]byte("+OK\r\n*3\r\n$9\r\nsubscribe\r\n$18\r\n__sentinel__:hello\r\n:1\r\n"))
		return c
	}
	c := serve()
	if p := next(); p != "<subscribed>" {
		t.Fatalf("first callback %q, want the confirmation", p)
	}
	msg := "*3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n"
	c.Write([]byte(msg[:10]))
	time.Sleep(20 * time.Millisecond)
	c.Write([]byte(msg[10:] + msg))
	if p, q := next(), next(); p != "hello" || q != "hello" {
		t.Fatalf("messages %q %q", p, q)
	}
	c.Close()
	if p := next(); p != "<dropped>" {
		t.Fatalf("after the close: %q, want the drop", p)
	}
	c = serve()
	if p := next(); p != "<subscribed>" {
		t.Fatalf("after the drop: %q, want a new confirmation", p)
	}
	stop()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after stop")
	}
}

// chanHandler sends every event of a subscription to ch: "<subscribed>",
// "<dropped>", or the message.
func chanHandler(ch chan<- string) SubHandler {
	return SubHandler{
		Subscribed: func() { ch <- "<subscribed>" },
		Dropped:    func() { ch <- "<dropped>" },
		Message:    func(p []byte) { ch <- string(p) },
	}
}

func TestSubscribeRefused(t *testing.T) { eachReader(t, testSubscribeRefused) }

// A SUBSCRIBE answered with an error (-NOAUTH once the master's password
// changed) drops the link, as hiredis does for redis-sentinel, so the
// instance shows "disconnected"; the subscription then retries.
func testSubscribeRefused(t *testing.T, loop *eventloop.Loop) {
	ln, conns := acceptingListener(t)
	got := make(chan string, 16)
	stop := RedisDialer{Loop: loop}.Subscribe(ConnOptions{Addr: ln.Addr().String(), Password: "old", Timeout: 10 * time.Second},
		"__sentinel__:hello", chanHandler(got))
	defer stop()
	accept := func() (net.Conn, *bufio.Reader) {
		select {
		case c := <-conns:
			return c, bufio.NewReader(c)
		case <-time.After(5 * time.Second):
			t.Fatal("no connection")
			return nil, nil
		}
	}
	c, br := accept()
	defer c.Close()
	for range 2 {
		readCommand(br)
	}
	c.Write([]byte("-WRONGPASS invalid username-password pair or user is disabled.\r\n" +
		"-NOAUTH Authentication required.\r\n"))
	select {
	case p := <-got:
		if p != "<dropped>" {
			t.Fatalf("got %q, want the drop", p)
		}
	case <-time.After(3 * time.Second): // well before the 10 s read deadline
		t.Fatal("a refused SUBSCRIBE did not drop the link")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("connection still open after the refused SUBSCRIBE")
	}
	c2, _ := accept() // the retry
	c2.Close()
}

// A server that writes first, garbage or an error, before our first
// command: nothing may crash, commands fail as transport errors, and the
// subscription keeps retrying.
func TestLinksSurviveAServerThatTalksFirst(t *testing.T) { eachReader(t, testServerTalksFirst) }

func testServerTalksFirst(t *testing.T, loop *eventloop.Loop) {
	addr := serveEach(t, func(c net.Conn) {
		c.Write([]byte("\x00\xffgarbage\r\n-ERR max number of clients reached\r\n"))
		c.Close()
	})
	opts := ConnOptions{Addr: addr, Timeout: time.Second}
	stop := RedisDialer{Loop: loop}.Subscribe(opts, "__sentinel__:hello", SubHandler{})
	defer stop()
	l := newPipeLink(opts, loop, nil)
	defer l.Close()
	for range 3 {
		if _, err := l.Do(context.Background(), "PING"); err == nil {
			t.Fatal("PING answered by a server that only sends garbage")
		}
	}
	time.Sleep(1500 * time.Millisecond) // a resubscription or two
}

// acceptingListener listens on a loopback port and hands every accepted
// connection to the channel; the listener closes with the test.
func acceptingListener(t *testing.T) (net.Listener, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	conns := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()
	return ln, conns
}

// TestSubscribeStopWhileConnectedRuns: the owner takes its own lock in
// the Connected handler and calls stop under that same lock (the sentinel
// replaces an instance's links under its group lock). The handler must
// not run under the subscription's lock, or the two wait for each other
// forever (a sentinel stalled that way at 1,000 masters).
func TestSubscribeStopWhileConnectedRuns(t *testing.T) {
	eachReader(t, testSubscribeStopWhileConnected)
}

func testSubscribeStopWhileConnected(t *testing.T, loop *eventloop.Loop) {
	ln, conns := acceptingListener(t)
	go func() {
		for c := range conns {
			defer c.Close()
		}
	}()
	var owner sync.Mutex
	entered := make(chan struct{}, 1)
	owner.Lock()
	stop := RedisDialer{Loop: loop}.Subscribe(ConnOptions{Addr: ln.Addr().String(), Timeout: time.Second}, "__sentinel__:hello",
		SubHandler{Connected: func() {
			entered <- struct{}{}
			owner.Lock()
			owner.Unlock()
		}})
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		owner.Unlock()
		t.Fatal("never connected")
	}
	// The handler now waits for owner, which we hold: stop must still
	// return.
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	select {
	case <-stopped:
		owner.Unlock()
	case <-time.After(2 * time.Second):
		owner.Unlock() // let both go, so nothing leaks
		<-stopped
		t.Fatal("stop blocked while the Connected handler waited for the owner's lock: deadlock")
	}
}

// Buffered commands are written at Flush (or with the next Send), in the
// order sent, and each reply reaches its own callback; links that share
// Buffers never mix their commands.
func TestSendBufferedWritesAtFlush(t *testing.T) { eachReader(t, testSendBufferedWritesAtFlush) }

func testSendBufferedWritesAtFlush(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	bufs := &Buffers{}
	a := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second}, loop, bufs)
	b := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second}, loop, bufs)
	defer a.Close()
	defer b.Close()
	// Connect both first: commands sent while dialing go out with the dial.
	for _, l := range []*pipeLink{a, b} {
		if _, err := l.Do(context.Background(), "PING"); err != nil {
			t.Fatal(err)
		}
	}
	got := make(chan string, 8)
	cb := func(v any, err error) {
		if err != nil {
			got <- err.Error()
			return
		}
		got <- ReplyString(v)
	}
	a.SendBuffered(0, cb, "ONE")
	b.SendBuffered(0, cb, "OTHER")
	a.SendBuffered(0, cb, "TWO")
	time.Sleep(50 * time.Millisecond)
	if n := len(s.commands()); n != 2 {
		t.Fatalf("%d commands written before Flush: %q", n, s.commands())
	}
	a.Flush()
	for _, want := range []string{"ONE", "TWO"} {
		if r := <-got; r != want {
			t.Fatalf("reply %q, want %q", r, want)
		}
	}
	a.SendBuffered(0, cb, "THREE")
	a.Send(0, cb, "FOUR")
	for _, want := range []string{"THREE", "FOUR"} {
		if r := <-got; r != want {
			t.Fatalf("reply %q, want %q", r, want)
		}
	}
	b.Flush()
	if r := <-got; r != "OTHER" {
		t.Fatalf("reply %q, want OTHER", r)
	}
}

// tagRecorder is a Replier that reports each reply as "tag:reply".
type tagRecorder struct {
	from Conn
	got  chan string
}

func (r *tagRecorder) Reply(from Conn, tag int, reply any, err error) {
	if from != r.from {
		r.got <- "from another link"
		return
	}
	if err != nil {
		r.got <- fmt.Sprintf("%d:%v", tag, err)
		return
	}
	r.got <- fmt.Sprintf("%d:%s", tag, ReplyString(reply))
}

// Commands sent with SendTo come back to the Replier with their tags, in
// order, from the link they were sent on; after Close, with the error.
func TestSendToRepliesWithTags(t *testing.T) { eachReader(t, testSendToRepliesWithTags) }

func testSendToRepliesWithTags(t *testing.T, loop *eventloop.Loop) {
	s := newRespStub(t)
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: time.Second}, loop, nil)
	r := &tagRecorder{from: l, got: make(chan string, 8)}
	l.SendTo(0, r, 1, false, "PING") // waits for the dial, then goes out with it
	l.SendTo(0, r, 2, true, "INFO")
	for _, want := range []string{"1:PONG", "2:INFO"} {
		if got := <-r.got; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if l.SendTo(0, r, 3, false, "ECHO") != true {
		t.Fatal("a buffered command on a connected link must ask for a Flush")
	}
	l.Flush()
	if got := <-r.got; got != "3:ECHO" {
		t.Fatalf("got %q, want 3:ECHO", got)
	}
	l.Close()
	l.SendTo(0, r, 4, true, "PING")
	if got := <-r.got; got != "4:"+errLinkClosed.Error() {
		t.Fatalf("after Close: got %q", got)
	}
}

// A connect that the loop completes late (it was busy: a long tick, a
// thousand other connects) does not eat the replies' time: with a dial
// the time to connect was not counted either, and counting it dropped
// good connections by the thousand when a sentinel started with 5,000
// masters, each drop a new connect and more load.
func TestPipeLinkConnectTimeNotTakenFromReplies(t *testing.T) {
	s := newRespStub(t)
	loop, err := eventloop.New()
	if err != nil {
		t.Skip(err)
	}
	l := newPipeLink(ConnOptions{Addr: stubAddr(s), Timeout: 300 * time.Millisecond}, loop, nil)
	defer l.Close()
	errs := make(chan error, 1)
	var once sync.Once
	// As the sentinel's tick: the command is sent on the loop
	// goroutine, which then stays busy past the command's timeout.
	loop.Every(func() time.Duration { return 10 * time.Millisecond }, func() {
		once.Do(func() {
			l.Send(0, func(v any, err error) {
				if err == nil && v != "PONG" {
					err = fmt.Errorf("reply %v", v)
				}
				errs <- err
			}, "PING")
			time.Sleep(500 * time.Millisecond)
		})
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); loop.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case err := <-errs:
		if err != nil {
			t.Fatalf("PING sent before a busy stretch of the loop: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
}
