//go:build linux

package eventloop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
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
