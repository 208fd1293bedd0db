package agentcheck

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakeOracle map[string]Verdict

func (f fakeOracle) AgentVerdict(master, addr string, read bool) Verdict {
	key := master + " " + addr
	if read {
		key += " read"
	}
	return f[key]
}

func TestParseRequest(t *testing.T) {
	cases := []struct {
		in           string
		master, addr string
		read, err    bool
	}{
		{"mymaster 10.0.0.1:6379\n", "mymaster", "10.0.0.1:6379", false, false},
		{"mymaster 10.0.0.1:6379 read", "mymaster", "10.0.0.1:6379", true, false},
		{"10.0.0.1:6379", "*", "10.0.0.1:6379", false, false},
		{"mymaster [::1]:6379", "mymaster", "[::1]:6379", false, false},
		{"mymaster 10.0.0.1", "", "", false, true},
		{"mymaster 10.0.0.1:6379 write", "", "", false, true},
		{"", "", "", false, true},
	}
	for _, c := range cases {
		m, a, r, err := ParseRequest(c.in)
		if (err != nil) != c.err || m != c.master || a != c.addr || r != c.read {
			t.Errorf("ParseRequest(%q) = %q %q %v %v", c.in, m, a, r, err)
		}
	}
}

func TestServerAnswersHAProxyStyle(t *testing.T) {
	o := fakeOracle{
		"m 127.0.0.1:1":      {Up: true},
		"m 127.0.0.1:2":      {Reason: "replica of 127.0.0.1:1"},
		"m 127.0.0.1:2 read": {Up: true},
	}
	for _, word := range []string{"down", "maint"} {
		s, err := New(Config{Addr: "127.0.0.1:0", DownWord: word, ReadTimeout: 200 * time.Millisecond}, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.Serve(ctx) }()
		ask := func(send string) string {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if send != "" {
				c.Write([]byte(send))
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				t.Fatalf("%q: %v (%q)", send, err, line)
			}
			return line
		}
		if got := ask("m 127.0.0.1:1\n"); got != "up ready\n" {
			t.Errorf("master: %q", got)
		}
		if got := ask("m 127.0.0.1:2\n"); got != word+" #replica of 127.0.0.1:1\n" {
			t.Errorf("replica: %q", got)
		}
		if got := ask("m 127.0.0.1:2 read\n"); got != "up ready\n" {
			t.Errorf("replica in a read backend: %q", got)
		}
		if got := ask("ping\n"); got != "pong\n" {
			t.Errorf("liveness probe: %q", got)
		}
		if got := ask(""); !strings.HasPrefix(got, word+" #agent-send missing") {
			t.Errorf("no agent-send: %q", got)
		}
		if got := ask("garbage\x00\xff\n"); !strings.HasPrefix(got, word+" #") {
			t.Errorf("garbage: %q", got)
		}
		cancel()
		wg.Wait()
	}
	if _, err := New(Config{Addr: "127.0.0.1:0", DownWord: "fail"}, o, nil); err == nil {
		t.Error("a down word other than down/maint was accepted")
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"m 1.2.3.4:5\n", "m [::1]:5 read", "1.2.3.4:5", "", "a b c d", "m x:y"} {
		f.Add(s)
	}
	s := &Server{cfg: Config{DownWord: "down"}, oracle: fakeOracle{}}
	f.Fuzz(func(t *testing.T, in string) {
		ParseRequest(in)
		if r := s.Reply(in); strings.ContainsAny(r, "\r\n") {
			t.Fatalf("reply %q spans lines", r)
		}
	})
}
