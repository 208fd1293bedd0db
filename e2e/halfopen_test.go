package e2e

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Half-open connections (issue 17 item 5): clients that vanish without a
// FIN or an RST. A sentinel has no client timeout by default, so only TCP
// keepalive (tcp-keepalive, 300 s) finds them; both implementations apply
// it, and both must drop such clients at its first unanswered probe, idle,
// subscribed or halfway through a request.

// tcpRepair is Linux's TCP_REPAIR socket option: a socket closed in
// repair mode goes away without sending anything.
const tcpRepair = 19

// vanish closes nc without a FIN or an RST, as if the client's host had
// lost power and come back without its state: the server learns of it
// only when it next sends something (a keepalive probe), which is answered
// by an RST. It reports false when the option is not permitted here.
func vanish(t *testing.T, nc net.Conn) bool {
	t.Helper()
	raw, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpRepair, 1)
	}); err != nil {
		t.Fatal(err)
	}
	if serr != nil {
		if errors.Is(serr, syscall.EPERM) {
			return false
		}
		t.Fatalf("TCP_REPAIR: %v", serr)
	}
	nc.Close()
	return true
}

// namedConn opens a connection named name and returns it after the
// reply to CLIENT SETNAME.
func namedConn(t *testing.T, addr, name string) net.Conn {
	t.Helper()
	nc := rawDial(t, addr)
	send(t, nc, "CLIENT", "SETNAME", name)
	nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	buf := make([]byte, 5)
	if n, err := nc.Read(buf); err != nil || string(buf[:n]) != "+OK\r\n" {
		t.Fatalf("CLIENT SETNAME %s: %q %v", name, buf[:n], err)
	}
	nc.SetReadDeadline(time.Time{})
	return nc
}

// clientNames lists the names CLIENT LIST shows that start with prefix.
func clientNames(t *testing.T, s *cluster.Sentinel, prefix string) []string {
	t.Helper()
	v, err := s.Do("CLIENT", "LIST")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range strings.Fields(v.Text()) {
		if name, ok := strings.CutPrefix(f, "name="+prefix); ok {
			names = append(names, prefix+name)
		}
	}
	return names
}

func TestHalfOpenClientsBoth(t *testing.T) {
	const keepalive = time.Second
	type result struct {
		gone time.Duration // until the vanished clients left CLIENT LIST
		held []string      // clients behind a held proxy, after that
	}
	res := map[cluster.Impl]result{}
	c := cluster.New(t)
	for impl, s := range bothSentinels(t, fmt.Sprintf("tcp-keepalive %d", int(keepalive/time.Second))) {
		idle := namedConn(t, s.Addr(), "gone-idle")
		sub := namedConn(t, s.Addr(), "gone-sub")
		send(t, sub, "SUBSCRIBE", "+switch-master")
		partial := namedConn(t, s.Addr(), "gone-partial")
		partial.Write([]byte("*2\r\n$4\r\nPING\r\n$1048576\r\n" + strings.Repeat("x", 512*1024)))
		// A client behind a proxy that stops forwarding both ways: the
		// proxy's own socket answers the probes, so to the server it is
		// an idle client like any other, and stays.
		proxy := c.StartProxy(s.Addr())
		namedConn(t, proxy.Addr(), "held")
		proxy.Set("", cluster.Cut)
		time.Sleep(200 * time.Millisecond) // the subscription and the partial request are read
		start := time.Now()
		for _, nc := range []net.Conn{idle, sub, partial} {
			if !vanish(t, nc) {
				t.Skip("TCP_REPAIR not permitted (needs CAP_NET_ADMIN): no way to vanish without FIN or RST")
			}
		}
		var r result
		for {
			left := clientNames(t, s, "gone-")
			if len(left) == 0 {
				r.gone = time.Since(start)
				break
			}
			if time.Since(start) > 10*keepalive {
				t.Errorf("%s: vanished clients %v still listed after %v", impl, left, time.Since(start).Round(time.Millisecond))
				r.gone = -1
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		r.held = clientNames(t, s, "held")
		res[impl] = r
	}
	for impl, r := range res {
		t.Logf("%s: tcp-keepalive %v: vanished clients dropped after %v; behind a held proxy still listed: %v",
			impl, keepalive, r.gone.Round(time.Millisecond), r.held)
		if len(r.held) != 1 {
			t.Errorf("%s: the client behind a held proxy: %v, want it kept as redis-sentinel keeps it", impl, r.held)
		}
	}
}
