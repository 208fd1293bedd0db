package cluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// handedOut remembers every port given out in this test binary, so two
// parallel tests never get the same one even though each probe closes its
// listener before the server binds. Other binaries (go test ./... runs
// packages in parallel) can still race us; starters retry on "Address
// already in use" for that.
var (
	portMu    sync.Mutex
	handedOut = map[int]bool{}
)

// FreePort returns a loopback TCP port that was free a moment ago and has
// not been returned before by this process. It is taken below the
// kernel's ephemeral range when there is room: a port from that range
// (what listening on port 0 gives) can be taken by any outgoing
// connection between our probe and the server's bind, and with hundreds of
// links open that happened (the demo's agent-check port, once).
func FreePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	lo, hi := belowEphemeral()
	for range 200 {
		port := 0
		if hi > lo {
			port = lo + rand.IntN(hi-lo)
		}
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			if port != 0 {
				continue
			}
			return 0, err
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		if handedOut[port] {
			continue
		}
		handedOut[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no unused loopback port after 200 tries")
}

// belowEphemeral is the range [lo, hi) we pick ports from: from 10000 to
// the start of the ephemeral range, or an empty range when that is too
// small (FreePort then lets the kernel choose).
func belowEphemeral() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				hi = n
			}
		}
	}
	if hi-lo < 2000 {
		return 0, 0
	}
	return lo, hi
}

// MustFreePort is FreePort that fails the test on error.
func MustFreePort(t TB) int {
	t.Helper()
	p, err := FreePort()
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	return p
}

// PortRangeFree reports an error unless n ports from base on are free
// (HAProxy frontends take consecutive ports).
func PortRangeFree(base, n int) error {
	for p := base; p < base+n; p++ {
		if p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return err
		}
		l.Close()
	}
	return nil
}
