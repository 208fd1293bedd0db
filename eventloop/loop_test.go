//go:build linux

package eventloop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a Handler that keeps what it got.
type recorder struct {
	mu     sync.Mutex
	data   bytes.Buffer
	closed chan error
}

func newRecorder() *recorder { return &recorder{closed: make(chan error, 2)} }

func (r *recorder) Data(b []byte) {
	r.mu.Lock()
	r.data.Write(b)
	r.mu.Unlock()
}

func (r *recorder) Closed(err error) { r.closed <- err }

func (r *recorder) waitData(t *testing.T, want int) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := r.data.Len()
		r.mu.Unlock()
		if n >= want {
			r.mu.Lock()
			defer r.mu.Unlock()
			return append([]byte(nil), r.data.Bytes()...)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("got fewer than %d bytes", want)
	return nil
}

func newLoop(t *testing.T) *Loop {
	t.Helper()
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// run starts l; stop ends it and returns what Run returned (the same on
// every call; the test's cleanup calls it too).
func run(t *testing.T, l *Loop) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return stop
}

func startLoop(t *testing.T) *Loop {
	l := newLoop(t)
	run(t, l)
	return l
}

// pair returns our end (registered with l) and the peer's end.
func pair(t *testing.T, l *Loop, h Handler) (*Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	// Small buffers, so a peer that does not read fills them quickly.
	nc.(*net.TCPConn).SetWriteBuffer(16 << 10)
	peer.(*net.TCPConn).SetReadBuffer(16 << 10)
	c, err := l.Add(nc, h)
	if err != nil {
		t.Fatal(err)
	}
	return c, peer
}

func TestEchoBothWays(t *testing.T) {
	l := startLoop(t)
	r := newRecorder()
	c, peer := pair(t, l, r)
	go io.Copy(peer, peer) // echo
	var want bytes.Buffer
	for k := range 200 {
		msg := bytes.Repeat([]byte{byte('a' + k%26)}, 1+k*37)
		want.Write(msg)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.waitData(t, want.Len()); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("echo differs: %d bytes, want %d", len(got), want.Len())
	}
}

// A peer that stops reading fills the socket: Write queues instead of
// blocking, and everything arrives once the peer reads again.
func TestWriteQueuesWhenSocketIsFull(t *testing.T) {
	l := startLoop(t)
	c, peer := pair(t, l, newRecorder())
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	total := 0
	start := time.Now()
	for range 40 { // 2.5 MiB, far more than the socket buffers hold
		if _, err := c.Write(chunk); err != nil {
			t.Fatal(err)
		}
		total += len(chunk)
	}
	if time.Since(start) > time.Second {
		t.Fatal("Write blocked")
	}
	c.mu.Lock()
	queued := len(c.out)
	c.mu.Unlock()
	if queued == 0 {
		t.Fatal("nothing queued: the test did not fill the socket")
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := io.ReadFull(peer, make([]byte, total))
	if err != nil || n != total {
		t.Fatalf("read %d of %d: %v", n, total, err)
	}
}

func TestPeerCloseAndDeadlineAndClose(t *testing.T) {
	l := startLoop(t)

	r := newRecorder()
	_, peer := pair(t, l, r)
	peer.Write([]byte("bye"))
	peer.Close()
	if err := waitClosed(t, r); !errors.Is(err, io.EOF) {
		t.Fatalf("peer close: %v, want EOF", err)
	}
	if got := r.waitData(t, 3); string(got) != "bye" {
		t.Fatalf("data before close: %q", got)
	}

	r = newRecorder()
	c, _ := pair(t, l, r)
	c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
	start := time.Now()
	err := waitClosed(t, r)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("deadline: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > time.Second {
		t.Fatalf("deadline closed after %v", d)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}

	r = newRecorder()
	c, peer = pair(t, l, r)
	c.Close()
	c.Close()
	if err := waitClosed(t, r); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-r.closed:
		t.Fatalf("Closed twice: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	peer.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := peer.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("peer after Close: %v, want EOF", err)
	}
}

func TestEndOfRunClosesEverything(t *testing.T) {
	l := newLoop(t)
	stop := run(t, l)
	var rs []*recorder
	for range 5 {
		r := newRecorder()
		pair(t, l, r)
		rs = append(rs, r)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := waitClosed(t, r); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Run: %v", err)
		}
	}
	nc, peer := net.Pipe()
	defer peer.Close()
	if _, err := l.Add(nc, newRecorder()); err == nil {
		t.Fatal("Add after Run ended worked")
	}
}

func waitClosed(t *testing.T, r *recorder) error {
	t.Helper()
	select {
	case err := <-r.closed:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Closed not called")
		return nil
	}
}

func TestEveryRunsOnTheLoop(t *testing.T) {
	l := newLoop(t)
	var mu sync.Mutex
	var runs []time.Time
	l.Every(func() time.Duration { return 50 * time.Millisecond }, func() {
		mu.Lock()
		runs = append(runs, time.Now())
		mu.Unlock()
	})
	stop := run(t, l)
	// Traffic meanwhile must not hold the periodic function back.
	r := newRecorder()
	c, peer := pair(t, l, r)
	go io.Copy(peer, peer)
	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		c.Write([]byte("ping"))
		time.Sleep(time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) < 12 || len(runs) > 21 {
		t.Fatalf("%d runs in 1 s at a 50 ms period", len(runs))
	}
	for k := 1; k < len(runs); k++ {
		if d := runs[k].Sub(runs[k-1]); d < 45*time.Millisecond || d > 150*time.Millisecond {
			t.Fatalf("run %d came %v after the one before", k, d)
		}
	}
}

// clearer is a recorder whose Data clears its connection's deadline, as a
// link does when the reply it waited for comes.
type clearer struct {
	*recorder
	c *Conn
}

func (h *clearer) Data(b []byte) {
	h.recorder.Data(b)
	h.c.SetReadDeadline(time.Time{})
}

// A reply that came in time but that the loop had no chance to read (it
// was busy in a long tick) must not be taken for a late one.
func TestDeadlineReadsWhatWaitsFirst(t *testing.T) {
	l := newLoop(t)
	h := &clearer{recorder: newRecorder()}
	ready := make(chan net.Conn, 1)
	var once sync.Once
	l.Every(func() time.Duration { return 20 * time.Millisecond }, func() {
		peer, ok := <-ready
		if !ok {
			return
		}
		once.Do(func() {
			// The reply arrives while the loop is here, then the
			// deadline passes before the loop looks at the socket.
			peer.Write([]byte("+PONG\r\n"))
			time.Sleep(50 * time.Millisecond)
			h.c.SetReadDeadline(time.Now().Add(-time.Millisecond))
			l.expire(time.Now())
		})
		close(ready)
	})
	run(t, l)
	c, peer := pair(t, l, h)
	h.c = c
	ready <- peer
	if got := h.waitData(t, 7); string(got) != "+PONG\r\n" {
		t.Fatalf("got %q", got)
	}
	select {
	case err := <-h.closed:
		t.Fatalf("closed although its reply had come: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
}

// slowData is a Handler whose Data takes a while, as a reply that runs a
// group's callbacks does under load; it counts its calls.
type slowData struct {
	calls  *atomic.Int64
	closed chan error
}

func (h slowData) Data([]byte) {
	h.calls.Add(1)
	time.Sleep(time.Millisecond)
}
func (h slowData) Closed(err error) { h.closed <- err }

// A flood of events (more connections ready than a batch holds, all the
// time) must not hold a due tick back: the tick is what sends the PINGs
// and judges who is down. Counted in events, not time, so that a slow
// machine (or the race detector) does not make it fail: a due tick waits
// for the rest of the batch in hand, no more.
func TestEveryRunsThroughAFlood(t *testing.T) {
	l := newLoop(t)
	var calls atomic.Int64
	var mu sync.Mutex
	var runs []int64 // Data calls so far, at each tick
	var at, caught []time.Time
	l.Every(func() time.Duration { return 50 * time.Millisecond }, func() {
		mu.Lock()
		runs = append(runs, calls.Load())
		at, caught = append(at, time.Now()), append(caught, l.CaughtUp())
		mu.Unlock()
	})
	stop := run(t, l)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 * len(l.events) {
		_, peer := pair(t, l, slowData{&calls, make(chan error, 1)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
					peer.Write([]byte("x"))
				}
			}
		}()
	}
	mu.Lock()
	runs, at, caught = runs[:0], at[:0], caught[:0]
	mu.Unlock()
	// Ten batches' worth of events, however long a loaded machine
	// takes for them.
	start := calls.Load()
	for end := time.Now().Add(30 * time.Second); calls.Load()-start < int64(10*len(l.events)) && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	close(done)
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(runs) < 3 {
		t.Fatalf("%d ticks during a flood of %d events at a 50 ms period", len(runs), calls.Load()-start)
	}
	// Before the tick is due at most a period of events (50 at 1 ms
	// each), then the rest of the batch in hand.
	most := int64(3 * len(l.events))
	for k := 1; k < len(runs); k++ {
		if d := runs[k] - runs[k-1]; d > most {
			t.Fatalf("%d events between tick %d and the one before (at most %d)", d, k, most)
		}
	}
	// The flood never lets a batch come short, yet the loop knows how
	// far it has read: a marker queued behind what is ready when a batch
	// ends (every connection, two batches' worth here) comes out three
	// batches later, and the next one is queued then, so CaughtUp trails
	// by six ticks at most.
	if len(at) < 8 {
		t.Fatalf("%d ticks during the flood, too few to follow CaughtUp", len(at))
	}
	for k := 6; k < len(at); k++ {
		if !caught[k].After(at[k-6]) {
			t.Fatalf("at tick %d caught up only to %v before it (the tick six before was %v before)",
				k, at[k].Sub(caught[k]), at[k].Sub(at[k-6]))
		}
	}
}

// CaughtUp is current at a tick when the loop was only waiting, stays
// before data that came and is not read yet, and passes it once read.
func TestCaughtUp(t *testing.T) {
	l := newLoop(t)
	r := newRecorder()
	ready := make(chan net.Conn, 1)
	var peer net.Conn
	var wrote time.Time
	errs := make(chan string, 8)
	calls := 0
	l.Every(func() time.Duration { return 20 * time.Millisecond }, func() {
		calls++
		switch {
		case calls < 3:
			// Idle: read up to the moment the wait ended.
			if d := time.Since(l.CaughtUp()); d > 15*time.Millisecond {
				errs <- fmt.Sprintf("idle tick %d: caught up %v ago", calls, d)
			}
		case calls == 3:
			peer = <-ready
			peer.Write([]byte("late"))
			time.Sleep(20 * time.Millisecond)
			wrote = time.Now()
			if !l.CaughtUp().Before(wrote.Add(-20 * time.Millisecond)) {
				errs <- "caught up past data not read"
			}
		case calls == 4:
			if !l.CaughtUp().After(wrote) {
				errs <- "not caught up after the data was read"
			}
			close(errs)
		}
	})
	run(t, l)
	c, p := pair(t, l, r)
	_ = c
	ready <- p
	for e := range errs {
		t.Error(e)
	}
	if got := r.waitData(t, 4); string(got) != "late" {
		t.Fatalf("got %q", got)
	}
}
