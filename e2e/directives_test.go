package e2e

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// bothSentinels starts a real redis-sentinel and ours, each monitoring a
// (down) master, with the same extra directives.
func bothSentinels(t *testing.T, extra ...string) map[cluster.Impl]*cluster.Sentinel {
	t.Helper()
	c := cluster.New(t)
	mon := []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}
	out := map[cluster.Impl]*cluster.Sentinel{}
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		out[impl] = c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Monitors: mon, Extra: extra})
	}
	return out
}

// maxclients 2: the third connection gets redis's error and is closed, by
// both sentinels.
func TestMaxClientsBoth(t *testing.T) {
	for impl, s := range bothSentinels(t, "maxclients 2") {
		a := cluster.MustDial(t, s.Addr())
		a.Must(t, "PING")
		// The harness's readiness probe closed just before; a server
		// notices that close asynchronously (both do), so wait until a is
		// the only client before taking the second slot.
		alone := false
		for deadline := time.Now().Add(3 * time.Second); !alone && time.Now().Before(deadline); {
			v := a.Must(t, "INFO", "clients")
			if alone = strings.Contains(v.Str, "connected_clients:1\r\n"); !alone {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if !alone {
			t.Fatalf("%s: connected_clients never fell to 1", impl)
		}
		b := cluster.MustDial(t, s.Addr())
		b.Must(t, "PING")
		c := cluster.MustDial(t, s.Addr())
		v, raw, err := c.ReadRaw(3 * time.Second)
		if err != nil || string(raw) != "-ERR max number of clients reached\r\n" {
			t.Errorf("%s: third client got %q (%v %v)", impl, raw, v, err)
		}
		if _, _, err := c.ReadRaw(3 * time.Second); err == nil {
			t.Errorf("%s: third client not closed", impl)
		}
	}
}

// closedWithin reports whether the server closes c within d (reading
// and dropping whatever comes first), and how much it had sent.
func closedWithin(c net.Conn, d time.Duration) (bool, int) {
	c.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout()), int(n)
}

func rawDial(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

func send(t *testing.T, nc net.Conn, args ...string) {
	t.Helper()
	if _, err := nc.Write(cluster.AppendCommand(nil, args...)); err != nil {
		t.Fatal(err)
	}
}

// timeout 1: an idle client is closed within a few seconds, a subscriber
// is not, by both sentinels.
func TestIdleTimeoutBoth(t *testing.T) {
	for impl, s := range bothSentinels(t, "timeout 1") {
		idle, sub := rawDial(t, s.Addr()), rawDial(t, s.Addr())
		send(t, sub, "SUBSCRIBE", "x")
		if closed, _ := closedWithin(idle, 4*time.Second); !closed {
			t.Errorf("%s: idle client still open after 4s with timeout 1", impl)
		}
		if closed, _ := closedWithin(sub, 500*time.Millisecond); closed {
			t.Errorf("%s: subscriber closed by timeout", impl)
		}
	}
}

// rename-command renames the sentinel's own commands: the old name is
// unknown, with the same error from both.
func TestRenameCommandBoth(t *testing.T) {
	got := map[cluster.Impl]string{}
	for impl, s := range bothSentinels(t, "rename-command ping foo", `rename-command sentinel ""`) {
		c := cluster.MustDial(t, s.Addr())
		_, ping, _ := c.DoRaw("PING", "a")
		_, foo, _ := c.DoRaw("FOO")
		_, sent, _ := c.DoRaw("SENTINEL", "MYID")
		_, count, _ := c.DoRaw("COMMAND", "COUNT")
		_, info, _ := c.DoRaw("COMMAND", "INFO", "foo", "ping")
		_, docs, _ := c.DoRaw("COMMAND", "DOCS", "foo", "ping", "sentinel")
		_, list, _ := c.DoRaw("COMMAND", "LIST")
		got[impl] = fmt.Sprintf("%q %q %q %q %.60q %.60q %d", ping, foo, sent, count, info, docs, len(list))
	}
	if got[cluster.Real] != got[cluster.Ours] {
		t.Errorf("redis-sentinel: %s\nours:           %s", got[cluster.Real], got[cluster.Ours])
	}
	if !strings.Contains(got[cluster.Ours], "+PONG") {
		t.Errorf("FOO is not PING: %s", got[cluster.Ours])
	}
}

// client-output-buffer-limit pubsub 1kb: a subscriber that does not read
// is dropped when a 1 MB event is published, and never gets it. (redis
// truncates the event to about 1 kB, and a new client's 16 kB reply buffer
// would take it whole: the wait lets redis shrink that buffer first, as
// its clientsCron does within a second of idleness.)
func TestPubSubOutputLimitBoth(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	for impl, s := range bothSentinels(t, "client-output-buffer-limit pubsub 1kb 0 0") {
		sub := rawDial(t, s.Addr())
		send(t, sub, "SUBSCRIBE", "+set")
		time.Sleep(1500 * time.Millisecond)
		c := cluster.MustDial(t, s.Addr())
		c.Must(t, "SENTINEL", "SET", "m", "rename-command", "CONFIG", big)
		closed, n := closedWithin(sub, 4*time.Second)
		if !closed {
			t.Errorf("%s: subscriber still open after a 1 MB event over a 1kb limit", impl)
		}
		if n >= len(big) {
			t.Errorf("%s: subscriber got %d bytes: the event went out", impl, n)
		}
	}
}

// Errors redis-sentinel gives for the client directives are ours too, in
// the same FATAL CONFIG FILE ERROR block.
func TestClientDirectiveErrorsMatch(t *testing.T) {
	real, ours := cluster.LookBinary(t, "redis-sentinel"), cluster.OurBinary(t)
	head := fmt.Sprintf("port %d\nbind 127.0.0.1\n", cluster.MustFreePort(t))
	for _, line := range []string{
		"maxclients 0", "maxclients x", "timeout -1", "tcp-keepalive -1", "tcp-backlog -1",
		"proto-max-bulk-len 1", "proto-max-bulk-len x", "client-query-buffer-limit 10",
		"client-output-buffer-limit pubsub 1kb 0", "client-output-buffer-limit foo 1 1 1",
		"client-output-buffer-limit pubsub x 1 1", "rename-command set foo", "rename-command ping info",
		"rename-command ping foo\nrename-command ping bar",
	} {
		conf := head + line + "\n"
		want := fatalBlock(startOutput(t, real, t.TempDir(), conf))
		got := fatalBlock(startOutput(t, ours, t.TempDir(), conf))
		if want != got {
			t.Errorf("%q (- redis-sentinel, + ours):\n%s", line, cluster.LineDiff(want, got))
		}
	}
}

// A directive redis-sentinel acts on and we do not fails our start with
// the reason, in redis's banner, and leaves the file as it was.
func TestRefusedDirectiveFailsStart(t *testing.T) {
	ours := cluster.OurBinary(t)
	head := fmt.Sprintf("port %d\nbind 127.0.0.1\n", cluster.MustFreePort(t))
	for _, line := range []string{"replicaof 127.0.0.1 6379", "set-proc-title yes", "cluster-enabled yes", "save 1 0"} {
		out := fatalBlock(startOutput(t, ours, t.TempDir(), head+line+"\n"))
		if !strings.Contains(out, "Reading the configuration file, at line 3") || !strings.Contains(out, "is not supported by this sentinel") {
			t.Errorf("%q: %s", line, out)
		}
	}
}

// unixsocket: both sentinels serve on the socket, with its permissions,
// show the client as redis does, and remove the file at exit.
func TestUnixSocketBoth(t *testing.T) {
	dir := t.TempDir()
	got := map[cluster.Impl]string{}
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		sock := fmt.Sprintf("%s/%d.sock", dir, impl)
		c := cluster.New(t)
		s := c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Extra: []string{"unixsocket " + sock, "unixsocketperm 700"}})
		st, err := os.Stat(sock)
		if err != nil || st.Mode().Perm() != 0o700 || st.Mode()&os.ModeSocket == 0 {
			t.Errorf("%s: socket %v %v", impl, st, err)
			continue
		}
		nc, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		send(t, nc, "CLIENT", "INFO")
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 4096)
		n, _ := nc.Read(buf)
		nc.Close()
		info := string(buf[:n])
		for _, f := range strings.Fields(info) {
			if strings.HasPrefix(f, "addr=") || strings.HasPrefix(f, "laddr=") || strings.HasPrefix(f, "flags=") {
				got[impl] += strings.Replace(f, sock, "SOCK", 1) + " "
			}
		}
		if err := s.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case <-s.Exited():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not exit", impl)
		}
		if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: socket file left at exit: %v", impl, err)
		}
	}
	if got[cluster.Real] != got[cluster.Ours] || got[cluster.Ours] == "" {
		t.Errorf("CLIENT INFO over the socket:\nredis-sentinel: %s\nours:           %s", got[cluster.Real], got[cluster.Ours])
	}
}

// An event longer than redis's 1 kB log buffer reaches subscribers cut to
// 1023 bytes, by both sentinels.
func TestLongEventTruncatedBoth(t *testing.T) {
	got := map[cluster.Impl]string{}
	for impl, s := range bothSentinels(t) {
		sub := cluster.MustDial(t, s.Addr())
		sub.Must(t, "SUBSCRIBE", "+set")
		c := cluster.MustDial(t, s.Addr())
		c.Must(t, "SENTINEL", "SET", "m", "rename-command", "CONFIG", strings.Repeat("x", 5000))
		v, err := sub.Read()
		if err != nil {
			t.Fatalf("%s: %v", impl, err)
		}
		payload := v.Elems[2].Str
		got[impl] = fmt.Sprintf("%d %.40s", len(payload), strings.SplitN(payload, " ", 5)[4])
	}
	if got[cluster.Real] != got[cluster.Ours] {
		t.Errorf("+set payload: redis-sentinel %s, ours %s", got[cluster.Real], got[cluster.Ours])
	}
}

// tls-protocols TLSv1.3: a TLS 1.2 client is refused and a TLS 1.3 one
// served, by both sentinels.
func TestTLSProtocolsBoth(t *testing.T) {
	certs := makeCerts(t, t.TempDir())
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		c := cluster.New(t)
		tlsPort := cluster.MustFreePort(t)
		s := c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Extra: []string{
			fmt.Sprintf("tls-port %d", tlsPort), "tls-cert-file " + certs.cert, "tls-key-file " + certs.key,
			"tls-ca-cert-file " + certs.ca, "tls-auth-clients no", `tls-protocols "TLSv1.3"`}})
		_ = s
		addr := fmt.Sprintf("127.0.0.1:%d", tlsPort)
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", addr,
				&tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
			if err == nil {
				err = conn.Handshake()
				conn.Close()
			}
			if ok := err == nil; ok != (v == tls.VersionTLS13) {
				t.Errorf("%s: TLS %x client: handshake err %v", impl, v, err)
			}
		}
	}
}

// With a YAML config, ACL SETUSER and DELUSER are refused with the reason
// (the state file would not keep the users over a restart), and the YAML
// client keys are honoured (maxclients 1).
func TestYAMLRuntimeUsersRefused(t *testing.T) {
	c := cluster.New(t)
	dir := c.NewDir("yaml")
	bin := cluster.OurBinary(t)
	path := filepath.Join(dir, "sentinel.yaml")
	port := cluster.MustFreePort(t)
	y := fmt.Sprintf("port: %d\nbind: [127.0.0.1]\ndir: %s\nmaxclients: 1\n", port, dir)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	p := cluster.NewProcess("yaml", bin, dir, "--config", path)
	c.Adopt(p)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := cluster.WaitReady(p, port, cluster.StartTimeout); err != nil {
		t.Fatalf("%v\n%s", err, p.Logs())
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// WaitReady's own connection must be gone before the one client
	// maxclients 1 allows.
	time.Sleep(300 * time.Millisecond)
	conn := cluster.MustDial(t, addr)
	for _, cmd := range [][]string{{"ACL", "SETUSER", "bob", "on"}, {"ACL", "DELUSER", "bob"}} {
		v, err := conn.Do(cmd...)
		if err != nil || !v.IsError() || !strings.Contains(v.Str, "users cannot be changed at run time with a YAML config") {
			t.Errorf("%v: %v %v", cmd, v, err)
		}
	}
	second := cluster.MustDial(t, addr)
	if _, raw, _ := second.ReadRaw(3 * time.Second); string(raw) != "-ERR max number of clients reached\r\n" {
		t.Errorf("second client with maxclients 1: %q", raw)
	}
}
