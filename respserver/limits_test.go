package respserver

import (
	"errors"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// timeout: an idle client is closed, a subscribed one is not.
func TestIdleTimeout(t *testing.T) {
	l := DefaultLimits()
	l.IdleTimeout = 300 * time.Millisecond
	_, addr := startFakeServer(t, Config{Limits: l})
	idle, sub := dial(t, addr), dial(t, addr)
	if got := sub.do("SUBSCRIBE", "x"); !strings.Contains(got, "subscribe") {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	if got := idle.do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q", got)
	}
	idle.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	start := time.Now()
	if _, err := idle.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle client: read %v, want EOF from the server closing it", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("closed after %v, before the timeout", d)
	}
	if got := sub.do("PING"); !strings.Contains(got, "pong") {
		t.Errorf("subscribed client after the timeout: %q, want it still served", got)
	}
}

// client-output-buffer-limit pubsub counts bytes: a subscriber that does
// not read is closed as soon as an event passes the hard limit.
func TestPubSubOutputLimitBytes(t *testing.T) {
	l := DefaultLimits()
	l.PubSub = OutputLimit{Hard: 1024}
	_, addr := startServer(t, Config{Limits: l})
	sub := dial(t, addr)
	if got := sub.do("SUBSCRIBE", "+set"); !strings.Contains(got, "subscribe") {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	c := dial(t, addr)
	big := strings.Repeat("v", 64*1024)
	if got := c.do("SENTINEL", "SET", "mymaster", "rename-command", "CONFIG", big); got != "+OK\r\n" {
		t.Fatalf("SENTINEL SET: %.80q", got)
	}
	sub.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	data, err := io.ReadAll(sub.br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("subscriber still connected after a %d-byte event over a 1kb limit (got %d bytes)", len(big), len(data))
	}
	if strings.Contains(string(data), big) {
		t.Errorf("the event over the limit was delivered")
	}
}

// A soft limit closes a subscriber that stays over it too long, not one
// that goes over it once.
func TestOutputLimitSoft(t *testing.T) {
	c := &client{}
	lim := OutputLimit{Soft: 100, SoftSeconds: 0}
	if c.overOutputLimit(150, lim) {
		t.Fatal("closed at the first pass over the soft limit")
	}
	time.Sleep(5 * time.Millisecond)
	if !c.overOutputLimit(150, lim) {
		t.Fatal("still over the soft limit after its seconds: want closed")
	}
	if c.overOutputLimit(50, lim) || c.softSince.Load() != 0 {
		t.Fatal("under the soft limit must reset it")
	}
}

// rename-command moves a command to its new name, or removes it.
func TestRenameCommands(t *testing.T) {
	_, addr := startFakeServer(t, Config{Renames: map[string]string{"ping": "", "sentinel": "S2"}})
	c := dial(t, addr)
	if got := c.do("PING"); !strings.HasPrefix(got, "-ERR unknown command 'PING'") {
		t.Errorf("removed PING: %q", got)
	}
	if got := c.do("SENTINEL", "MYID"); !strings.HasPrefix(got, "-ERR unknown command 'SENTINEL'") {
		t.Errorf("renamed SENTINEL under its old name: %q", got)
	}
	if got := c.do("s2", "MYID"); !strings.HasPrefix(got, "$40\r\n") {
		t.Errorf("S2 MYID: %q", got)
	}
}

// tcp-backlog reaches listen(2): ss shows it as the listener's Send-Q.
func TestTCPBacklog(t *testing.T) {
	if _, err := exec.LookPath("ss"); err != nil {
		t.Skip("no ss")
	}
	ln, err := listenTCP("127.0.0.1:0", 37, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	out, err := exec.Command("ss", "-Hltn", "sport = :"+strconv.Itoa(port)).Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	if len(f) < 3 || f[2] != "37" {
		t.Errorf("ss: %q, want Send-Q (the backlog) 37", out)
	}
}

// tcp-keepalive, on every connection the listener accepts: the idle
// time, a third of it between probes; 0 turns keepalive off.
func TestTCPKeepalive(t *testing.T) {
	opt := func(nc net.Conn, level, name int) int {
		raw, _ := nc.(*net.TCPConn).SyscallConn()
		var v int
		raw.Control(func(fd uintptr) { v, _ = syscall.GetsockoptInt(int(fd), level, name) })
		return v
	}
	for _, tc := range []struct {
		interval        time.Duration
		on, idle, intvl int
	}{{300 * time.Second, 1, 300, 100}, {0, 0, -1, -1}, {2 * time.Second, 1, 2, 1}} {
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
		if got := opt(nc, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE); got != tc.on {
			t.Errorf("%v: SO_KEEPALIVE %d, want %d", tc.interval, got, tc.on)
		}
		if tc.on == 1 {
			if idle, intvl := opt(nc, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE), opt(nc, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL); idle != tc.idle || intvl != tc.intvl {
				t.Errorf("%v: idle %d intvl %d, want %d %d", tc.interval, idle, intvl, tc.idle, tc.intvl)
			}
		}
		nc.Close()
		cc.Close()
		ln.Close()
	}
}

// With a YAML config, users cannot change at run time: the refusal says
// why instead of a change that a restart would silently undo.
func TestACLFrozen(t *testing.T) {
	_, addr := startFakeServer(t, Config{ACLFrozen: "no run-time users here"})
	c := dial(t, addr)
	for _, cmd := range [][]string{{"ACL", "SETUSER", "bob", "on"}, {"ACL", "DELUSER", "bob"}} {
		if got := c.do(cmd...); got != "-ERR no run-time users here\r\n" {
			t.Errorf("%v: %q", cmd, got)
		}
	}
	if got := c.do("ACL", "USERS"); got != "*1\r\n$7\r\ndefault\r\n" {
		t.Errorf("ACL USERS: %q", got)
	}
}
