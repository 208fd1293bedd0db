package e2e

import (
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// hostIP is a non-loopback IPv4 address of this machine, or "".
func hostIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestProtectedMode: with "protected-mode yes", no password and a
// non-loopback bind, a client from another address gets redis's DENIED
// reply, byte for byte what redis-sentinel sends, and is disconnected;
// loopback clients are served; with a password the remote client may
// connect (and must AUTH).
func TestProtectedMode(t *testing.T) {
	ip := hostIP()
	if ip == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	c := cluster.New(t)
	m := c.StartRedis("master")
	mon := []cluster.Monitor{{Name: "mymaster", Redis: m, Quorum: 1}}
	// Reads what a client connecting from ip to the sentinel gets first.
	greet := func(s *cluster.Sentinel) string {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 2 * time.Second}
		nc, err := d.Dial("tcp", net.JoinHostPort(ip, strconv.Itoa(s.Port)))
		if err != nil {
			t.Fatalf("dial %s from %s: %v", s.Name, ip, err)
		}
		defer nc.Close()
		nc.Write([]byte("PING\r\n"))
		nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(nc)
		return string(b)
	}
	var replies []string
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		s := c.StartSentinel(impl, "protected-"+impl.String(), cluster.SentinelConfig{
			Monitors: mon, Extra: []string{"bind 0.0.0.0", "protected-mode yes"},
		})
		replies = append(replies, greet(s))
		if v, err := s.Do("PING"); err != nil || v.Text() != "PONG" {
			t.Errorf("%s: loopback PING: %v %v", s.Name, v, err)
		}
	}
	if replies[0] != replies[1] {
		t.Errorf("remote client in protected mode:\nredis-sentinel: %q\nours:           %q", replies[0], replies[1])
	}
	if len(replies[1]) < 8 || replies[1][:8] != "-DENIED " {
		t.Errorf("ours: remote client got %q, want a DENIED error", replies[1])
	}
	s := c.StartSentinel(cluster.Ours, "protected-pass", cluster.SentinelConfig{
		Monitors: mon, Extra: []string{"bind 0.0.0.0", "protected-mode yes", "requirepass secret"},
	})
	if got := greet(s); got != "-NOAUTH Authentication required.\r\n" {
		t.Errorf("with a password, remote PING got %q, want NOAUTH", got)
	}
}
