package respserver

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A client whose reply is unacknowledged is given up on after what the
// keepalive probes take (idle + 3 probes), not after the kernel's
// retransmissions (some 15 minutes); no keepalive, no timeout.
func TestTCPUserTimeout(t *testing.T) {
	for _, tc := range []struct {
		interval time.Duration
		wantMS   int
	}{{300 * time.Second, 600000}, {2 * time.Second, 5000}, {0, 0}} {
		ln, err := listenTCP("127.0.0.1:0", 0, tc.interval)
		if err != nil {
			t.Fatal(err)
		}
		cc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := nc.(*net.TCPConn).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var gerr error
		raw.Control(func(fd uintptr) {
			got, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT)
		})
		if gerr != nil || got != tc.wantMS {
			t.Errorf("tcp-keepalive %v: TCP_USER_TIMEOUT %d ms (%v), want %d", tc.interval, got, gerr, tc.wantMS)
		}
		nc.Close()
		cc.Close()
		ln.Close()
	}
}
