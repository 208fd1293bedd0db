//go:build linux

package eventloop

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// keepAliveIdle is the idle time before TCP keep-alive probes, Go's
// dialer default, so a connection opened here is kept as net.Dial's was.
const keepAliveIdle = 15 * time.Second

// Connect opens a TCP connection to addr for h without waiting for it:
// the socket's non-blocking connect is started and the socket joins the
// loop's set at once; what is written meanwhile waits in the connection
// and goes out once it is up. A refused or failed connect ends the
// connection like any other close (h.Closed, on the loop goroutine, never
// inside Connect), and so does one still not up at its read deadline.
// Connect itself fails only once the loop has ended.
//
// It is how a sentinel reaches its instances. A dead host's masters are
// redialled every second, as redis-sentinel does; through net.Dialer each
// attempt cost a goroutine, a context, the poller's registration and their
// garbage, and at 5,000 masters those attempts were over a third of a
// sentinel's CPU during a failover. Here an attempt is a socket, a connect
// and an epoll_ctl, as in redis-sentinel's hiredis.
func (l *Loop) Connect(addr netip.AddrPort, h Handler) (*Conn, error) {
	c, err := l.register(-1, h)
	if err != nil {
		return nil, err
	}
	c.remote = addr
	fd, err := dialSocket(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		l.drop(c, err)
		return c, nil
	}
	c.fd, c.connecting = fd, true
	ev := unix.EpollEvent{Events: connEvents, Fd: c.id}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(fd)
		c.fd = -1
		l.drop(c, fmt.Errorf("eventloop: epoll_ctl: %w", err))
	}
	return c, nil
}

// dialSocket makes a non-blocking TCP socket (Go's dialer options come
// once it is up: setSocketOptions) and starts its connect to addr.
func dialSocket(addr netip.AddrPort) (int, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	var sa unix.Sockaddr
	family := unix.AF_INET
	if ip := addr.Addr(); ip.Is4() {
		sa = &unix.SockaddrInet4{Addr: ip.As4(), Port: int(addr.Port())}
	} else {
		family = unix.AF_INET6
		sa6 := &unix.SockaddrInet6{Addr: ip.As16(), Port: int(addr.Port())}
		if z := ip.Zone(); z != "" {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return -1, fmt.Errorf("eventloop: zone of %s: %w", addr, err)
			}
			sa6.ZoneId = uint32(ifi.Index)
		}
		sa = sa6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, fmt.Errorf("eventloop: socket: %w", err)
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	// EINTR retried above may give EALREADY or EISCONN: both mean the
	// first connect goes on or went through.
	switch err {
	case nil, unix.EINPROGRESS, unix.EALREADY, unix.EISCONN:
		return fd, nil
	}
	unix.Close(fd)
	return -1, &connectError{addr: addr, err: err}
}

// connectError says which address refused, as net.OpError does.
type connectError struct {
	addr netip.AddrPort
	err  error
}

func (e *connectError) Error() string {
	return "dial tcp " + e.addr.String() + ": connect: " + e.err.Error()
}
func (e *connectError) Unwrap() error { return e.err }

// finishConnectLocked looks whether c's connect is done: true when it is
// up, false while it goes on or when it failed (c is closed then).
func (c *Conn) finishConnectLocked() bool {
	if c.fd < 0 {
		return false
	}
	if soerr, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || soerr != 0 {
		if err == nil {
			err = unix.Errno(soerr)
		}
		c.closeLocked(&connectError{addr: c.remote, err: err})
		return false
	}
	// No error and no peer: the connect has not completed yet.
	if _, err := unix.Getpeername(c.fd); err != nil {
		return false
	}
	c.connecting = false
	setSocketOptions(c.fd)
	return true
}

// setSocketOptions gives a connected socket what net.Dial gives its own:
// no Nagle delay, keep-alive probes after 15 s idle. Set once the connect
// has completed, not before it: most connects to a dead host's instances
// are refused, a thousand a second, and four system calls each were
// spent on a socket that never carried a byte.
func setSocketOptions(fd int) {
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, 1)
	secs := int(keepAliveIdle / time.Second)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
}

// LocalIP is the address our side of the connection is bound to ("" when
// closed or unknown); a started connect has one already.
func (c *Conn) LocalIP() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return ""
	}
	sa, err := unix.Getsockname(c.fd)
	if err != nil {
		return ""
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr).String()
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr).Unmap().String()
	}
	return ""
}
