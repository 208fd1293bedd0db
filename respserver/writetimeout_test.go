package respserver

import (
	"net"
	"strings"
	"testing"
	"time"
)

// A client that stops reading its replies (or vanished behind something
// that still accepts its TCP segments until the window closes) is closed
// once a write has been blocked for the write timeout, and its connection
// no longer counts; redis keeps such a client while its normal class has
// no output limit.
func TestNonReadingClientClosedAfterWriteTimeout(t *testing.T) {
	_, addr := startFakeServer(t, Config{WriteTimeout: 200 * time.Millisecond})
	stuck := dial(t, addr)
	stuck.nc.(*net.TCPConn).SetReadBuffer(4096)
	// Replies larger than what the sockets can buffer between us.
	big := strings.Repeat("x", 8<<20)
	stuck.nc.Write([]byte(encode("PING", big)))
	other := dial(t, addr)
	deadline := time.Now().Add(5 * time.Second)
	for {
		list := other.do("CLIENT", "LIST")
		if strings.Count(list, "id=") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client that does not read is still connected: %q", list)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
