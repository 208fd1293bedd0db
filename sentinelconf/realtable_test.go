package sentinelconf

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sdsargs"
)

// redisConfigTable is the installed redis-server's CONFIG GET *: every
// directive of its config table with its default value.
func redisConfigTable(t *testing.T) map[string]string {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("no redis-server installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()
	var nc net.Conn
	for i := 0; i < 100; i++ {
		if nc, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	nc.Write([]byte("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$1\r\n*\r\n"))
	br := bufio.NewReader(nc)
	line, _ := br.ReadString('\n')
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	vals := make([]string, 0, n)
	for range n {
		hdr, _ := br.ReadString('\n')
		size, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatal(err)
		}
		vals = append(vals, string(buf[:size]))
	}
	out := map[string]string{}
	for i := 0; i+1 < len(vals); i += 2 {
		out[vals[i]] = vals[i+1]
	}
	if len(out) < 100 {
		t.Fatalf("CONFIG GET * gave %d directives", len(out))
	}
	return out
}

// Every directive of the installed redis-server's table is one we know
// and have classified, and its default value is accepted: redis-sentinel
// behaves with defaults as we do.
func TestInstalledRedisTableClassified(t *testing.T) {
	for name, value := range redisConfigTable(t) {
		kind, known := redisDirectives[name]
		if _, classified := directiveClasses[name]; !known || !classified {
			t.Errorf("%s: in redis-server's table but not known (%v) or classified (%v)", name, known, classified)
			continue
		}
		switch name {
		case "dir", "bind", "port":
			continue // where this test's redis-server runs
		case "set-proc-title":
			// The one default we do not follow: redis-sentinel sets a
			// process title, ours keeps its command line; an explicit
			// "set-proc-title yes" is refused (docs/directives.md).
			continue
		}
		arg := sdsargs.Repr(value)
		if kind == kindMulti {
			arg = value
		}
		if _, err := Parse("x.conf", []byte(name+" "+arg+"\n")); err != nil {
			t.Errorf("%s %s (redis's default): %v", name, arg, err)
		}
	}
}
