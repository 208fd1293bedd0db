package respserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// listenTCP listens on addr with redis's tcp-backlog, and applies
// tcp-keepalive to every connection it accepts (before any TLS wrapping,
// so TLS clients get it too). Go's net package
// always passes the kernel's somaxconn; Linux lets listen(2) be called
// again on a listening socket to change its backlog, which is how the
// configured one is applied (capped by somaxconn, as for redis).
func listenTCP(addr string, backlog int, keepalive time.Duration) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1} // set per connection by setKeepalive
	ln, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	ln = keepaliveListener{ln, keepalive}
	if backlog <= 0 {
		return ln, nil
	}
	tl, ok := ln.(keepaliveListener).Listener.(*net.TCPListener)
	if !ok {
		return ln, nil
	}
	raw, err := tl.SyscallConn()
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("tcp-backlog: %w", err)
	}
	var lerr error
	if err := raw.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		lerr = errors.Join(lerr, err)
	}
	if lerr != nil {
		ln.Close()
		return nil, fmt.Errorf("tcp-backlog %d: %w", backlog, lerr)
	}
	return ln, nil
}

// keepaliveListener applies tcp-keepalive to the connections it accepts.
type keepaliveListener struct {
	net.Listener
	interval time.Duration
}

func (l keepaliveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		setKeepalive(c, l.interval)
	}
	return c, err
}

// keepaliveProbes is how many unanswered probes end a connection, as in
// redis's anetKeepAlive.
const keepaliveProbes = 3

// setKeepalive applies tcp-keepalive to a client connection as redis's
// anetKeepAlive does: probes after interval idle, then every third of
// it, three of them; 0 turns keepalive off. A client that vanished
// without FIN or RST is so dropped within interval + 3 probes (twice
// tcp-keepalive: 600 s by default), and the same bound is applied to a
// reply left unacknowledged (setUserTimeout), where redis waits for the
// kernel's retransmissions to give up.
func setKeepalive(nc net.Conn, interval time.Duration) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return
	}
	if interval <= 0 {
		tc.SetKeepAlive(false)
		return
	}
	probe := max(interval/3, time.Second)
	tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: interval, Interval: probe, Count: keepaliveProbes})
	// Best effort, as the keepalive itself: a socket refusing it keeps
	// the kernel's retransmission limit.
	setUserTimeout(tc, interval+keepaliveProbes*probe)
}

// renameCommands applies rename-command to the command table: the
// command moves to its new name, or is gone when the new name is empty.
func renameCommands(t map[string]*command, renames map[string]string) map[string]*command {
	if len(renames) == 0 {
		return t
	}
	out := make(map[string]*command, len(t))
	for name, c := range t {
		to, renamed := renames[name]
		switch {
		case !renamed:
			out[name] = c
		case to != "":
			out[toLowerASCII(to)] = c
		}
	}
	return out
}

func toLowerASCII(s string) string { return string(appendLower(nil, []byte(s))) }

// listenUnix is redis's unixsocket: a stale socket file is replaced, the
// file gets perm (when not 0), and closing the listener removes it.
func listenUnix(path string, perm os.FileMode) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("unixsocket %s: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("unixsocket %s: %w", path, err)
	}
	if perm != 0 {
		if err := os.Chmod(path, perm); err != nil {
			ln.Close()
			return nil, fmt.Errorf("unixsocket %s: %w", path, err)
		}
	}
	return unixListener{ln, path}, nil
}

// unixListener hands out connections whose addresses read as redis shows
// a unix socket client ("/path/to.sock:0" for addr and laddr).
type unixListener struct {
	net.Listener
	path string
}

func (l unixListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return unixConn{c, unixAddr(l.path + ":0")}, nil
}

type unixConn struct {
	net.Conn
	addr unixAddr
}

func (c unixConn) RemoteAddr() net.Addr { return c.addr }
func (c unixConn) LocalAddr() net.Addr  { return c.addr }

// unixAddr is a unix socket client's address as redis prints it.
type unixAddr string

func (a unixAddr) Network() string { return "unix" }
func (a unixAddr) String() string  { return string(a) }

// isUnix says whether a client came in on the unix socket.
func isUnix(nc net.Conn) bool {
	_, ok := nc.(unixConn)
	return ok
}
