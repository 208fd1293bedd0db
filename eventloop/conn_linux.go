//go:build linux

package eventloop

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Conn is a connection served by a Loop. Write and SetReadDeadline may be
// called from any goroutine.
type Conn struct {
	loop     *Loop
	id       int32
	h        Handler
	deadline atomic.Int64 // unix nanoseconds; 0: none

	remote netip.AddrPort // Connect's address, for its errors

	mu         sync.Mutex
	fd         int    // -1 once closed
	out        []byte // what the socket has not taken yet
	connecting bool   // Connect's connect has not completed yet
}

var errOverflow = errors.New("eventloop: peer does not read; output limit reached")

// Add takes nc over (nc itself is closed; the socket lives on in the loop)
// and serves it with h. h may be called before Add returns, so whatever h
// needs must be in place or guarded by a lock the caller holds.
func (l *Loop) Add(nc net.Conn, h Handler) (*Conn, error) {
	fd, err := dupSocket(nc)
	nc.Close()
	if err != nil {
		return nil, err
	}
	c, err := l.register(fd, h)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: connEvents, Fd: c.id}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		l.mu.Lock()
		delete(l.conns, c.id)
		l.mu.Unlock()
		unix.Close(fd)
		return nil, fmt.Errorf("eventloop: epoll_ctl: %w", err)
	}
	return c, nil
}

// connEvents is what a connection waits for. Edge-triggered: a read that
// returns less than the buffer has emptied the socket, and new data raises
// a new edge, so one read per reply.
const connEvents = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// register gives h a connection id (fd may still be -1: Connect).
func (l *Loop) register(fd int, h Handler) (*Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ended {
		return nil, ErrClosed
	}
	l.nextID++
	if l.nextID <= wakeID {
		l.nextID = wakeID + 1
	}
	for l.conns[l.nextID] != nil {
		l.nextID++
	}
	c := &Conn{loop: l, id: l.nextID, h: h, fd: fd}
	l.conns[c.id] = c
	return c, nil
}

// drop ends c, which has no socket (any more), with err: its handler
// hears it on the loop goroutine as from any closed connection.
func (l *Loop) drop(c *Conn, err error) {
	l.mu.Lock()
	delete(l.conns, c.id)
	l.closing = append(l.closing, closedConn{c, err})
	l.mu.Unlock()
	l.hasClosing.Store(true)
	l.wake()
}

// dupSocket returns a close-on-exec duplicate of nc's socket. It keeps the
// O_NONBLOCK that Go set, which the loop needs; Go's own poller lets go of
// the socket when nc is closed.
func dupSocket(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, fmt.Errorf("eventloop: %T has no socket", nc)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, fmt.Errorf("eventloop: %w", err)
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, fmt.Errorf("eventloop: %w", err)
	}
	if derr != nil {
		return -1, fmt.Errorf("eventloop: dup: %w", derr)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("eventloop: %w", err)
	}
	return fd, nil
}

// Write writes b at once as far as the socket takes it and keeps the rest
// for when it drains, so it never blocks. A write error closes the
// connection.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return 0, ErrClosed
	}
	if len(c.out) > 0 || c.connecting {
		if len(c.out)+len(b) > maxOut {
			c.closeLocked(errOverflow)
			return 0, errOverflow
		}
		c.out = append(c.out, b...)
		return len(b), nil
	}
	n, err := c.writeLocked(b)
	if err != nil {
		c.closeLocked(err)
		return n, err
	}
	if n < len(b) {
		c.out = append(c.out, b[n:]...)
	}
	return len(b), nil
}

// writeLocked writes until b is written or the socket is full.
func (c *Conn) writeLocked(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := unix.Write(c.fd, b[done:])
		if n > 0 {
			done += n
		}
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return done, nil
		case err != nil:
			return done, err
		}
	}
	return done, nil
}

// SetReadDeadline closes the connection (Closed gets ErrDeadline) when t
// passes; a zero t means no deadline. Like net.Conn's, it is absolute:
// data arriving does not move it.
func (c *Conn) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		c.deadline.Store(0)
	} else {
		c.deadline.Store(t.UnixNano())
	}
	return nil
}

// Close closes the connection; its handler gets Closed(ErrClosed) on the
// loop goroutine, never inside Close.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(ErrClosed)
	return nil
}

func (c *Conn) closeLocked(err error) {
	if c.fd < 0 {
		return
	}
	l := c.loop
	// No EPOLL_CTL_DEL: the socket's only descriptor is ours (Add closes
	// nc, Connect made it), and closing it takes it out of the set. A
	// child forked meanwhile may hold it until its exec; an event of it
	// then finds no connection under its id and is passed over. A
	// thousand refused redials a second paid a system call each for it.
	unix.Close(c.fd)
	c.fd, c.out = -1, nil
	l.drop(c, err)
}

// service handles one epoll event on the loop goroutine.
func (c *Conn) service(events uint32, buf []byte) {
	up, fresh := c.up()
	if !up {
		return
	}
	if cn, ok := c.h.(Connecter); ok && fresh {
		cn.Connected()
	}
	if events&unix.EPOLLOUT != 0 {
		c.flush()
	}
	if events&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) == 0 {
		return
	}
	hup := events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
	for {
		c.mu.Lock()
		if c.fd < 0 {
			c.mu.Unlock()
			return
		}
		n, err := unix.Read(c.fd, buf)
		c.mu.Unlock()
		if n > 0 {
			c.h.Data(buf[:n])
		}
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			return
		case err != nil:
			c.fail(err)
			return
		case n == 0:
			c.fail(io.EOF)
			return
		case n < len(buf) && !hup:
			return
		}
	}
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	c.closeLocked(err)
	c.mu.Unlock()
}

// up reports whether c is connected, finishing a Connect's connect when it
// has completed (whatever the event: a deadline check reads a connection
// whose event the loop has not reached yet); fresh: just now. Once up,
// what was written meanwhile goes out.
func (c *Conn) up() (up, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.connecting {
		return true, false
	}
	if !c.finishConnectLocked() {
		return false, false
	}
	c.flushLocked()
	return c.fd >= 0, true
}

// flush writes what earlier writes left, now that the socket drained.
func (c *Conn) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushLocked()
}

func (c *Conn) flushLocked() {
	if c.fd < 0 || len(c.out) == 0 {
		return
	}
	n, err := c.writeLocked(c.out)
	if err != nil {
		c.closeLocked(err)
		return
	}
	if n == len(c.out) {
		c.out = nil
		return
	}
	c.out = append(c.out[:0], c.out[n:]...)
}
