package sentinel

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// A hello that repeats the peer's last one is read from the kept copy
// (no allocation) and still counts as heard; the next, changed one is
// applied; and the buffer it came in may be reused at once.
func TestRepeatedHelloIsHeardAndAChangeApplied(t *testing.T) {
	net := redislink.NewFakeNet()
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: net, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	peer := strings.Repeat("c", 40)
	buf := []byte("127.0.0.1,26390," + peer + ",0,mymaster,127.0.0.1,6379,0")
	s.ProcessHello(buf)
	g := s.group("mymaster")
	lastHello := func() (at int64, host string) {
		g.mu.Lock()
		defer g.mu.Unlock()
		si := g.m.Sentinels[peer]
		if si == nil {
			t.Fatal("peer not learned")
		}
		return si.At(si.LastHello).UnixNano(), si.HelloMaster.Host
	}
	first, _ := lastHello()
	if n := testing.AllocsPerRun(50, func() { s.ProcessHello(buf) }); n != 0 {
		t.Errorf("a repeated hello: %v allocations, want 0", n)
	}
	if again, _ := lastHello(); again <= first {
		t.Errorf("a repeated hello was not heard (LastHello %d, before %d)", again, first)
	}
	// The caller's buffer is its own again after the call.
	copy(buf, strings.Repeat("x", len(buf)))
	if _, host := lastHello(); host != "127.0.0.1" {
		t.Fatalf("the kept hello aliases the caller's buffer: master host %q", host)
	}
	s.ProcessHello([]byte("127.0.0.1,26390," + peer + ",7,mymaster,127.0.0.1,6380,7"))
	if a, _ := s.MasterAddr("mymaster"); a.Port != 6380 || s.CurrentEpoch() != 7 {
		t.Fatalf("changed hello not applied: master %v, epoch %d", a, s.CurrentEpoch())
	}
	// Our own hello, and a malformed one, change nothing.
	s.ProcessHello([]byte("127.0.0.1,26379," + s.myID + ",9,mymaster,127.0.0.1,6381,9"))
	s.ProcessHello([]byte("127.0.0.1,26390," + peer + ",9,mymaster,127.0.0.1,6381"))
	if a, _ := s.MasterAddr("mymaster"); a.Port != 6380 || s.CurrentEpoch() != 7 {
		t.Fatalf("own or malformed hello applied: master %v, epoch %d", a, s.CurrentEpoch())
	}
}

func TestHelloKey(t *testing.T) {
	for _, c := range []struct {
		in, runID, name string
		ok              bool
	}{
		{"a,1,rid,0,m,h,2,0", "rid", "m", true},
		{",,,,,,,", "", "", true},
		{"a,1,rid,0,m,h,2", "", "", false},
		{"a,1,rid,0,m,h,2,0,9", "", "", false},
		{"", "", "", false},
	} {
		r, n, ok := helloKey(c.in)
		rb, nb, okb := helloKey([]byte(c.in))
		if r != c.runID || n != c.name || ok != c.ok || string(rb) != r || string(nb) != n || okb != ok {
			t.Errorf("helloKey(%q) = %q, %q, %v (bytes %q, %q, %v), want %q, %q, %v", c.in, r, n, ok, rb, nb, okb, c.runID, c.name, c.ok)
		}
	}
}

// helloGroup is a sentinel watching mymaster at 127.0.0.1:6379 on net,
// not started, its master's command link dialled by hand.
func helloGroup(t *testing.T, net *redislink.FakeNet) (*Sentinel, *group) {
	t.Helper()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	s, err := New(fastConfig(26379, m), Options{Dialer: net, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	g := s.group("mymaster")
	g.master.conn = net.Dial(redislink.ConnOptions{Addr: m.String()})
	return s, g
}

// Our hello is made once per master and reused while it says the same;
// any change of what it says makes a new one.
func TestHelloPayloadFollowsChanges(t *testing.T) {
	s, g := helloGroup(t, redislink.NewFakeNet())
	i := g.master
	g.mu.Lock()
	defer g.mu.Unlock()
	want := func() string {
		return "127.0.0.1,26379," + s.myID + "," + fmt.Sprint(s.CurrentEpoch()) + ",mymaster," +
			g.m.CurrentMasterAddr().Host + "," + fmt.Sprint(g.m.CurrentMasterAddr().Port) + "," + fmt.Sprint(g.m.ConfigEpoch)
	}
	check := func(what string) {
		t.Helper()
		if got := g.helloArgs(i)[2]; got != want() {
			t.Fatalf("%s: hello %q, want %q", what, got, want())
		}
	}
	check("first")
	first := &g.hello[0]
	check("again")
	if &g.hello[0] != first {
		t.Fatal("an unchanged hello was made again")
	}
	s.env.Epochs.Bump(3)
	check("new current epoch")
	g.m.ConfigEpoch = 4
	check("new config epoch")
	g.m.SwitchMaster(Addr{Host: "127.0.0.1", Port: 6380}, time.Now())
	check("new master")
}

// A master's renamed PUBLISH (rename-command) carries the hellos sent to
// it; the group's shared hello, which its peers get, stays a PUBLISH.
func TestHelloTakesRenamedPublish(t *testing.T) {
	net := redislink.NewFakeNet()
	r := net.Add("127.0.0.1:6379", "master-run-id")
	s, g := helloGroup(t, net)
	i := g.master
	g.mu.Lock()
	g.cfg.RenameCommands = []RenamedCommand{{Command: "PUBLISH", Renamed: "XPUB"}}
	g.sendHello(context.Background(), i)
	shared := g.hello[0]
	g.mu.Unlock()
	if shared != "PUBLISH" {
		t.Fatalf("the shared hello became %v", shared)
	}
	want := "XPUB __SENTINEL__:HELLO 127.0.0.1,26379," + strings.ToUpper(s.myID) + ","
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, c := range r.Received() {
			if strings.HasPrefix(c, want) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("master received %q, want a command starting %q", r.Received(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
