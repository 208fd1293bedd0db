package respserver

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// setUserTimeout bounds how long data we sent may stay unacknowledged
// before the kernel gives the connection up (TCP_USER_TIMEOUT). Keepalive
// probes are only sent on a connection with nothing in flight: a client
// that vanishes (no FIN, no RST) while a reply to it is unacknowledged
// would otherwise be retransmitted to for tcp_retries2 (some 15 minutes
// by default), whatever tcp-keepalive says. With the timeout set to the
// keepalive's own giving-up time, a vanished client is dropped within
// the same bound whether or not a reply was in flight.
func setUserTimeout(tc *net.TCPConn, d time.Duration) error {
	raw, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d/time.Millisecond))
	})
	if err != nil {
		return err
	}
	return serr
}
