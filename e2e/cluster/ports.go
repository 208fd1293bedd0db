package cluster

import (
	"fmt"
	"net"
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
// not been returned before by this process.
func FreePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if handedOut[port] {
			continue
		}
		handedOut[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no unused loopback port after 100 tries")
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
