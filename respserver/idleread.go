package respserver

import (
	"errors"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// A client that sends nothing holds no input buffer. Most connections to
// a sentinel are idle most of the time (10,000 allowed), and a blocking
// read needs its buffer before any byte arrives: 20 kB each, for nothing.
// So a read into an empty buffer first waits until the socket is readable
// without a buffer, and the buffer, once its bytes are consumed, goes to
// a pool that the next read takes from. redis 7.0 frees an idle client's
// query buffer from its cron; this needs no cron.

// pooledBufCap is the capacity of pooled input buffers: the 16 kB read
// into an empty buffer and the 20 kB one that follows it (sdsUsable)
// both fit. Larger buffers (a long line's) are not pooled.
const pooledBufCap = 20 * 1024

var errNotPollable = errors.New("connection cannot be polled without a buffer")

// newBufPool makes the pool of input buffers of pooledBufCap that a
// server's clients share between reads. A sync.Pool is emptied by the
// garbage collector, so what idle clients gave back does not stay.
func newBufPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, 0, pooledBufCap)
		return &b
	}}
}

// rawConnOf is the connection's raw descriptor when waiting on it without
// reading is possible: TCP and unix sockets, not TLS (whose layer may
// hold decrypted bytes the socket no longer shows).
func rawConnOf(nc net.Conn) (syscall.RawConn, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, errNotPollable
	}
	return sc.SyscallConn()
}

// waitReadable returns once rc has a byte to read, an end of file or an
// error for the next read to see, or when its read deadline passes or it
// is closed. It reads nothing: the byte is only peeked at, once. When the
// peek finds the socket empty, the poller's word that it became readable
// is taken without a second peek: that was a system call per request
// (13 % of a sentinel's CPU under redis-benchmark's get-master-addr-by-name,
// one in every four of its system calls). Should the wake-up find nothing
// after all, the read that follows waits in the poller, holding its
// buffer that once.
func waitReadable(rc syscall.RawConn) error {
	var one [1]byte
	peeked := false
	return rc.Read(func(fd uintptr) bool {
		if peeked {
			return true // woken by the poller after an empty peek
		}
		for {
			_, _, err := unix.Recvfrom(int(fd), one[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				peeked = true
				return false // wait in the poller
			}
			return true
		}
	})
}
