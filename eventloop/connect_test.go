//go:build linux

package eventloop

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func listen(t *testing.T) (net.Listener, netip.AddrPort) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).AddrPort()
}

// connectToListener starts a loop and Connects to a fresh listener with a
// recorder as the handler.
func connectToListener(t *testing.T) (net.Listener, *recorder, *Conn) {
	t.Helper()
	l := startLoop(t)
	ln, addr := listen(t)
	r := newRecorder()
	c, err := l.Connect(addr, r)
	if err != nil {
		t.Fatal(err)
	}
	return ln, r, c
}

// What is written right after Connect, before the connect can have
// completed, goes out once it has; replies come back as on any connection.
func TestConnectWritesWhatWaited(t *testing.T) {
	ln, r, c := connectToListener(t)
	if _, err := c.Write([]byte("PING\n")); err != nil {
		t.Fatal(err)
	}
	if ip := c.LocalIP(); ip != "127.0.0.1" {
		t.Errorf("LocalIP %q, want 127.0.0.1", ip)
	}
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	line, err := bufio.NewReader(peer).ReadString('\n')
	if err != nil || line != "PING\n" {
		t.Fatalf("peer read %q, %v", line, err)
	}
	peer.Write([]byte("PONG"))
	if got := r.waitData(t, 4); string(got) != "PONG" {
		t.Fatalf("got %q", got)
	}
	c.Close()
	if err := waitClosed(t, r); !errors.Is(err, ErrClosed) {
		t.Fatalf("Closed(%v), want ErrClosed", err)
	}
}

// A refused connect ends the connection like any close, on the loop
// goroutine, with an error that names the address as net.Dial's does.
func TestConnectRefusedEndsAsClosed(t *testing.T) {
	l := startLoop(t)
	ln, addr := listen(t)
	ln.Close()
	r := newRecorder()
	c, err := l.Connect(addr, r)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("PING\n")) // fails or waits: either way no panic, no block
	err = waitClosed(t, r)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Closed(%v), want ECONNREFUSED", err)
	}
	if want := "dial tcp " + addr.String() + ": connect: connection refused"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after the refusal: %v, want ErrClosed", err)
	}
}

// stuckListener is a listening socket with no room in its accept queue
// that never accepts: the kernel drops further SYNs, so connects to it
// stay in progress.
func stuckListener(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4(sa.(*unix.SockaddrInet4).Addr), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the accept queue (a backlog of 0 holds one).
	for range 2 {
		nc, err := net.DialTimeout("tcp", addr.String(), 200*time.Millisecond)
		if err == nil {
			t.Cleanup(func() { nc.Close() })
		}
	}
	return addr
}

// A connect still in progress at the read deadline ends with ErrDeadline,
// and what was written meanwhile is dropped with it.
func TestConnectStuckEndsAtDeadline(t *testing.T) {
	l := startLoop(t)
	addr := stuckListener(t)
	r := newRecorder()
	c, err := l.Connect(addr, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("PING\n")); err != nil {
		t.Fatalf("Write while connecting: %v", err)
	}
	start := time.Now()
	c.SetReadDeadline(start.Add(300 * time.Millisecond))
	if err := waitClosed(t, r); !errors.Is(err, ErrDeadline) {
		t.Fatalf("Closed(%v), want ErrDeadline", err)
	}
	if d := time.Since(start); d < 300*time.Millisecond || d > 2*time.Second {
		t.Fatalf("closed after %v for a 300 ms deadline", d)
	}
}

// countHandler counts what arrives and the closes, and passes on the
// first unexpected close.
type countHandler struct {
	got    *atomic.Int64
	closed *atomic.Int64
	errs   chan error
}

func (h countHandler) Data(b []byte) { h.got.Add(int64(len(b))) }
func (h countHandler) Closed(err error) {
	h.closed.Add(1)
	if !errors.Is(err, ErrClosed) {
		select {
		case h.errs <- err:
		default:
		}
	}
}

// A burst of connects at once, as when a sentinel starts with thousands
// of instances or a dead host's masters are all redialled in one tick,
// against a server that accepts them slowly: every one comes up and is
// answered, and the loop's periodic work goes on meanwhile.
func TestConnectBurstAgainstSlowAcceptor(t *testing.T) {
	const n = 500
	l := newLoop(t)
	var ticks atomic.Int64
	l.Every(func() time.Duration { return 20 * time.Millisecond }, func() { ticks.Add(1) })
	run(t, l)
	ln, addr := listen(t)
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		for k := 0; ; k++ {
			peer, err := ln.Accept()
			if err != nil {
				return
			}
			if k%50 == 49 {
				time.Sleep(10 * time.Millisecond)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer peer.Close()
				line, err := bufio.NewReader(peer).ReadString('\n')
				if err != nil {
					return
				}
				peer.Write([]byte(strings.ToUpper(line)))
				io.Copy(io.Discard, peer)
			}()
		}
	}()
	var got, closed atomic.Int64
	h := countHandler{&got, &closed, make(chan error, 1)}
	conns := make([]*Conn, n)
	start := time.Now()
	ticksBefore := ticks.Load()
	for k := range conns {
		c, err := l.Connect(addr, h)
		if err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(start.Add(10 * time.Second))
		c.Write([]byte("ping\n"))
		conns[k] = c
	}
	for got.Load() < 5*n && time.Since(start) < 10*time.Second {
		select {
		case err := <-h.errs:
			t.Fatalf("a connection ended: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if got.Load() != 5*n {
		t.Fatalf("%d of %d replies", got.Load()/5, n)
	}
	took := time.Since(start)
	if ran := ticks.Load() - ticksBefore; ran < int64(took/(20*time.Millisecond))/3 {
		t.Errorf("the periodic function ran %d times in %v at a 20 ms period", ran, took)
	}
	for _, c := range conns {
		c.Close()
	}
	ln.Close()
	for closed.Load() < n && time.Since(start) < 15*time.Second {
		time.Sleep(5 * time.Millisecond)
	}
	if closed.Load() != n {
		t.Fatalf("%d of %d closed", closed.Load(), n)
	}
}

// A connection Connect opened has net.Dial's socket options once it is
// up (they are set then, not on a socket whose connect may be refused).
func TestConnectedSocketHasDialOptions(t *testing.T) {
	ln, r, c := connectToListener(t)
	c.Write([]byte("x"))
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	peer.Read(make([]byte, 1)) // the write went out: the connect is done
	c.mu.Lock()
	fd := c.fd
	nodelay, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
	keepalive, _ := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
	idle, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
	c.mu.Unlock()
	if nodelay != 1 || keepalive != 1 || idle != int(keepAliveIdle/time.Second) {
		t.Fatalf("TCP_NODELAY %d, SO_KEEPALIVE %d, TCP_KEEPIDLE %d; want 1, 1, %d",
			nodelay, keepalive, idle, int(keepAliveIdle/time.Second))
	}
	c.Close()
	waitClosed(t, r)
}

// Connections closed together from outside the loop, one wake for many,
// are all delivered at once, not at the loop's next idle check (wakes
// are coalesced while one is pending).
func TestManyClosesFromOutsideDeliveredAtOnce(t *testing.T) {
	l := startLoop(t)
	var got, closed atomic.Int64
	h := countHandler{got: &got, closed: &closed, errs: make(chan error, 1)}
	const n = 200
	for round := range 5 {
		var conns []*Conn
		for range n {
			c, _ := pair(t, l, h)
			conns = append(conns, c)
		}
		start := time.Now()
		for _, c := range conns {
			go c.Close()
		}
		want := int64((round + 1) * n)
		for closed.Load() < want {
			if time.Since(start) > idleCheckEvery/2 {
				t.Fatalf("round %d: %d of %d closes delivered after %v", round, closed.Load()-want+n, n, time.Since(start))
			}
			time.Sleep(time.Millisecond)
		}
	}
}
