package respserver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sentinel"
)

type nopStore struct{}

func (nopStore) Save(*sentinel.Config) error { return nil }

// startServer runs a real Sentinel over an in-memory Redis network behind
// a server on a free loopback port. Tests that need no monitor use
// startFakeServer.
func startServer(t testing.TB, cfg Config) (*Server, string) {
	t.Helper()
	fnet := redislink.NewFakeNet()
	m := sentinel.Addr{Host: "127.0.0.1", Port: 6379}
	fnet.Add(m.String(), strings.Repeat("a", 40))
	sc := sentinel.DefaultConfig()
	sc.Masters = []sentinel.MasterState{{MasterConfig: sentinel.MasterConfig{Name: "mymaster", Addr: m, Quorum: 2}}}
	mon, err := sentinel.New(sc, sentinel.Options{Dialer: fnet, Store: nopStore{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg, mon, func(ctx context.Context) { mon.Run(ctx) })
}

// serve listens on a free loopback port for backend and serves until the
// test ends; run, when given, is the backend's own loop, stopped with it.
func serve(t testing.TB, cfg Config, backend Backend, run func(context.Context)) (*Server, string) {
	t.Helper()
	srv := New(cfg, backend, nil)
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if run != nil {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); srv.Serve(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return srv, srv.Addr().String()
}

type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func encode(args ...string) string {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	return s
}

// readReply returns one reply's raw bytes.
func (c *rawConn) readReply() string {
	c.nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "<" + err.Error() + ">"
	}
	out := line
	body := line[1 : len(line)-2]
	switch line[0] {
	case '$':
		var n int
		fmt.Sscan(body, &n)
		if n >= 0 {
			buf := make([]byte, n+2)
			if _, err := io_ReadFull(c.br, buf); err != nil {
				return out + "<" + err.Error() + ">"
			}
			out += string(buf)
		}
	case '*', '%', '~', '>':
		var n int
		fmt.Sscan(body, &n)
		if line[0] == '%' {
			n *= 2
		}
		for range n {
			out += c.readReply()
		}
	}
	return out
}

func (c *rawConn) do(args ...string) string {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(encode(args...))); err != nil {
		c.t.Fatal(err)
	}
	return c.readReply()
}

func TestReplies(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"ping", "hi"}, "$2\r\nhi\r\n"},
		{[]string{"PING", "a", "b"}, "-ERR wrong number of arguments for 'ping' command\r\n"},
		{[]string{"FOO"}, "-ERR unknown command 'FOO', with args beginning with: \r\n"},
		{[]string{"FOO", "bar", "baz"}, "-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n"},
		{[]string{"SENTINEL"}, "-ERR wrong number of arguments for 'sentinel' command\r\n"},
		{[]string{"SENTINEL", "FOO"}, "-ERR unknown subcommand 'FOO'. Try SENTINEL HELP.\r\n"},
		{[]string{"sentinel", "foo"}, "-ERR unknown subcommand 'foo'. Try SENTINEL HELP.\r\n"},
		{[]string{"SENTINEL", "MASTER"}, "-ERR wrong number of arguments for 'sentinel|master' command\r\n"},
		{[]string{"SENTINEL", "MASTER", "nosuch"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}, "*-1\r\n"},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"},
		{[]string{"SENTINEL", "RESET", "nosuch*"}, ":0\r\n"},
		{[]string{"SENTINEL", "INFO-CACHE", "nosuch"}, "*0\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a", "127.0.0.1", "abc", "2"}, "-ERR Invalid port\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a", "127.0.0.1", "70000", "2"}, "-ERR Invalid port number.\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a", "127.0.0.1", "6000", "0"}, "-ERR Quorum must be 1 or greater.\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a", "127.0.0.1", "6000", "abc"}, "-ERR Invalid quorum\r\n"},
		{[]string{"SENTINEL", "MONITOR", "mymaster", "127.0.0.1", "6000", "2"}, "-ERR Duplicate master name.\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"SENTINEL", "SIMULATE-FAILURE", "help"}, "*2\r\n$20\r\ncrash-after-election\r\n$21\r\ncrash-after-promotion\r\n"},
		{[]string{"SENTINEL", "CONFIG", "FOO"}, "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
		{[]string{"ROLE"}, "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n"},
		{[]string{"INFO", "nosuchsection"}, "$0\r\n\r\n"},
		{[]string{"CLIENT", "GETNAME"}, "$-1\r\n"},
		{[]string{"CLIENT", "SETNAME", "has space"}, "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"},
		{[]string{"CLIENT", "SETINFO", "lib-name", "x"}, "-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"},
		{[]string{"CLIENT", "KILL", "1.2.3.4:5"}, "-ERR No such client\r\n"},
		{[]string{"CLIENT", "KILL", "ID", "99999"}, ":0\r\n"},
		{[]string{"AUTH", "x"}, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"},
		{[]string{"AUTH", "u", "p"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"ACL", "WHOAMI"}, "$7\r\ndefault\r\n"},
		{[]string{"HELLO", "4"}, "-NOPROTO unsupported protocol version\r\n"},
		{[]string{"HELLO", "x"}, "-ERR Protocol version is not an integer or out of range\r\n"},
		{[]string{"COMMAND", "COUNT"}, ":15\r\n"},
		{[]string{"COMMAND", "INFO", "ping"}, "*1\r\n*10\r\n$4\r\nping\r\n:-1\r\n*1\r\n+fast\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*2\r\n$25\r\nrequest_policy:all_shards\r\n$29\r\nresponse_policy:all_succeeded\r\n*0\r\n*0\r\n"},
		{[]string{"PUBLISH", "foo", "bar"}, "-ERR Only HELLO messages are accepted by Sentinel instances.\r\n"},
		{[]string{"PUBLISH", "__sentinel__:hello", "garbage"}, ":1\r\n"},
		{[]string{"SHUTDOWN", "NOSAVE", "extra", "x"}, "-ERR syntax error\r\n"},
		{[]string{"GET", "x"}, "-ERR unknown command 'GET', with args beginning with: 'x' \r\n"},
		{[]string{"QUIT"}, "-ERR unknown command 'QUIT', with args beginning with: \r\n"},
	}
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

func TestHelloAndResp3(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	got := c.do("HELLO", "3")
	if !strings.HasPrefix(got, "%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n") {
		t.Fatalf("HELLO 3: %q", got)
	}
	if got := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"); got != "_\r\n" {
		t.Errorf("null in RESP3: %q", got)
	}
	if got := c.do("SENTINEL", "MASTER", "mymaster"); !strings.HasPrefix(got, "%") {
		t.Errorf("SENTINEL MASTER in RESP3 is not a map: %q", got)
	}
	if got := c.do("SENTINEL", "CONFIG", "GET", "*"); !strings.HasPrefix(got, "%6\r\n") {
		t.Errorf("CONFIG GET * in RESP3: %q", got)
	}
	if got := c.do("SUBSCRIBE", "a"); got != ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n" {
		t.Errorf("SUBSCRIBE in RESP3: %q", got)
	}
	// RESP3 clients may run any command while subscribed.
	if got := c.do("SENTINEL", "MYID"); !strings.HasPrefix(got, "$40\r\n") {
		t.Errorf("command while subscribed in RESP3: %q", got)
	}
}

func TestSubscribedModeRESP2(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	want := "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
	if got := c.do("SUBSCRIBE", "a", "b"); got != want {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	if got := c.readReply(); got != "*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n" {
		t.Fatalf("second confirmation: %q", got)
	}
	if got := c.do("PING"); got != "*2\r\n$4\r\npong\r\n$0\r\n\r\n" {
		t.Errorf("PING subscribed: %q", got)
	}
	if got := c.do("SENTINEL", "MYID"); got != "-ERR Can't execute 'sentinel|myid': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" {
		t.Errorf("command while subscribed: %q", got)
	}
	if got := c.do("PUNSUBSCRIBE"); got != "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:2\r\n" {
		t.Errorf("PUNSUBSCRIBE without patterns: %q", got)
	}
}

func TestEventsReachSubscribers(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	c.do("PSUBSCRIBE", "*")
	// SENTINEL MONITOR publishes +monitor.
	c2 := dial(t, addr)
	if got := c2.do("SENTINEL", "MONITOR", "other", "127.0.0.1", "7000", "1"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	for range 10 {
		got := c.readReply()
		if strings.Contains(got, "+monitor") && strings.Contains(got, "master other 127.0.0.1 7000 quorum 1") {
			if !strings.HasPrefix(got, "*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$8\r\n+monitor\r\n") {
				t.Fatalf("pmessage shape: %q", got)
			}
			return
		}
	}
	t.Fatal("no +monitor event")
}

func TestAuth(t *testing.T) {
	_, addr := startFakeServer(t, Config{RequirePass: "secret"})
	c := dial(t, addr)
	if got := c.do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Errorf("before AUTH: %q", got)
	}
	if got := c.do("HELLO", "3"); !strings.HasPrefix(got, "-NOAUTH HELLO must be called") {
		t.Errorf("HELLO before AUTH: %q", got)
	}
	if got := c.do("AUTH", "wrong"); got != "-WRONGPASS invalid username-password pair or user is disabled.\r\n" {
		t.Errorf("wrong password: %q", got)
	}
	if got := c.do("AUTH", "secret"); got != "+OK\r\n" {
		t.Errorf("AUTH: %q", got)
	}
	if got := c.do("PING"); got != "+PONG\r\n" {
		t.Errorf("after AUTH: %q", got)
	}
	c2 := dial(t, addr)
	if got := c2.do("HELLO", "2", "AUTH", "default", "secret"); !strings.HasPrefix(got, "*12\r\n") {
		t.Errorf("HELLO AUTH: %q", got)
	}
}

func TestProtocolErrors(t *testing.T) {
	_, addr := startFakeServer(t, Config{RequirePass: "pw"})
	cases := []struct{ in, want string }{
		{"*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n$20000\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
		{"*100\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"},
		{"PING \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
	}
	for _, tc := range cases {
		c := dial(t, addr)
		c.nc.Write([]byte(tc.in))
		if got := c.readReply(); got != tc.want {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
		if got := c.readReply(); got != "<EOF>" {
			t.Errorf("%q: connection not closed: %q", tc.in, got)
		}
	}
	c := dial(t, addr)
	c.nc.Write([]byte(strings.Repeat("x", 70*1024)))
	if got := c.readReply(); got != "-ERR Protocol error: too big inline request\r\n" {
		t.Errorf("big inline: %q", got)
	}
	// Inline commands work.
	c = dial(t, addr)
	c.nc.Write([]byte("AUTH pw\r\nPING\r\n"))
	if got := c.readReply() + c.readReply(); got != "+OK\r\n+PONG\r\n" {
		t.Errorf("inline: %q", got)
	}
}

func TestMaxClients(t *testing.T) {
	l := DefaultLimits()
	l.MaxClients = 2
	_, addr := startFakeServer(t, Config{Limits: l})
	a, b := dial(t, addr), dial(t, addr)
	a.do("PING")
	b.do("PING")
	c := dial(t, addr)
	if got := c.readReply(); got != "-ERR max number of clients reached\r\n" {
		t.Errorf("third client: %q", got)
	}
}

func io_ReadFull(br *bufio.Reader, buf []byte) (int, error) { return io.ReadFull(br, buf) }

// TestIsolatedMasterNotNamed: while the monitor is cut off from its group
// (Backend.ClientMasterAddr says no), get-master-addr-by-name answers nil
// as for an unknown master, so that a client asks the next sentinel; the
// other views still show the master.
func TestIsolatedMasterNotNamed(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	named := "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"
	if got := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); got != named {
		t.Fatalf("got %q, want %q", got, named)
	}
	f.mu.Lock()
	f.isolated = map[string]bool{"mymaster": true}
	f.mu.Unlock()
	if got := c.do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); got != "*-1\r\n" {
		t.Errorf("isolated: got %q, want a nil array", got)
	}
	if got := c.do("SENTINEL", "MASTER", "mymaster"); !strings.HasPrefix(got, "*") {
		t.Errorf("SENTINEL MASTER while isolated: %q", got)
	}
}
