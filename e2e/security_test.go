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

// TestAuthTowardsRedis: master and replica require a password; with
// "sentinel auth-pass" two of ours and a real redis-sentinel log in on both
// links (command and hello pub/sub), find the replica and each other, and
// fail over together.
func TestAuthTowardsRedis(t *testing.T) {
	c := cluster.New(t)
	auth := []string{"--requirepass", "s3cret", "--masterauth", "s3cret"}
	master := c.StartRedis("master", auth...)
	replica := c.StartRedis("replica", append(auth, "--replicaof", "127.0.0.1", strconv.Itoa(master.Port))...)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := &group{c: c}
	for k, impl := range []cluster.Impl{cluster.Ours, cluster.Real, cluster.Ours} {
		g.ss = append(g.ss, c.StartSentinel(impl, "auth-"+strconv.Itoa(k)+"-"+impl.String(), cluster.SentinelConfig{
			Monitors: mon, Extra: []string{"sentinel auth-pass mymaster s3cret"},
		}))
	}
	for _, s := range g.ss {
		s.WaitSentinels(t, "mymaster", 2, 30*time.Second) // hellos need the pub/sub link logged in
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 30*time.Second)
}
