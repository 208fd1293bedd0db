package sentinel

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

type memStore struct {
	mu    sync.Mutex
	saves int
	last  Config
}

func (m *memStore) Save(c *Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves++
	m.last = *c
	return nil
}

func (m *memStore) get() Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

var quiet = slog.New(slog.DiscardHandler)

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func fastConfig(port int, master Addr) Config {
	c := DefaultConfig()
	c.Port = port
	c.Timing.PublishPeriod = 200 * time.Millisecond
	c.Timing.InfoPeriod = 200 * time.Millisecond
	c.Masters = []MasterState{{MasterConfig: MasterConfig{
		Name: "mymaster", Addr: master, Quorum: 2, DownAfter: 300 * time.Millisecond,
	}}}
	return c
}

func field(v InstanceView, k string) string {
	s, _ := v.Get(k)
	return s
}

func TestDiscoverySDownAndPersistence(t *testing.T) {
	net := redislink.NewFakeNet()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	r := Addr{Host: "127.0.0.1", Port: 6380}
	master := net.Add(m.String(), strings.Repeat("a", 40))
	net.Add(r.String(), strings.Repeat("b", 40)).MasterOf = m.String()
	net.Add("127.0.0.1:26379", "")
	net.Add("127.0.0.1:26380", "")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stores := []*memStore{{}, {}}
	var ss []*Sentinel
	for i, port := range []int{26379, 26380} {
		s, err := New(fastConfig(port, m), Options{Dialer: net, Store: stores[i], Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
		go s.Run(ctx)
	}
	events := ss[0].Events().Subscribe(1024)
	defer events.Close()

	waitFor(t, "replica and peer discovered", 5*time.Second, func() bool {
		mv, err := ss[0].Master("mymaster")
		return err == nil && field(mv, "num-slaves") == "1" && field(mv, "num-other-sentinels") == "1"
	})
	peers, _ := ss[0].Sentinels("mymaster")
	if peers[0].RunID != ss[1].MyID() || peers[0].Addr.Port != 26380 {
		t.Fatalf("peer %+v, want run id %s port 26380", peers[0], ss[1].MyID())
	}
	waitFor(t, "replica INFO", 2*time.Second, func() bool {
		reps, _ := ss[0].Replicas("mymaster")
		return field(reps[0], "master-link-status") == "ok"
	})
	reps, _ := ss[0].Replicas("mymaster")
	if reps[0].Name != "127.0.0.1:6380" || field(reps[0], "master-link-status") != "ok" {
		t.Fatalf("replica view %+v", reps[0])
	}
	waitFor(t, "discovery persisted", 2*time.Second, func() bool {
		c := stores[0].get()
		return c.MyID == ss[0].MyID() && len(c.Masters) == 1 &&
			len(c.Masters[0].KnownReplicas) == 1 && len(c.Masters[0].KnownSentinels) == 1
	})

	master.SetDown(true)
	waitFor(t, "+sdown", 3*time.Second, func() bool {
		mv, _ := ss[0].Master("mymaster")
		return strings.HasPrefix(mv.Flags, "s_down,master")
	})
	master.SetDown(false)
	waitFor(t, "-sdown", 3*time.Second, func() bool {
		mv, _ := ss[0].Master("mymaster")
		return mv.Flags == "master"
	})
	seen := map[string]string{}
	for len(events.C) > 0 {
		e := <-events.C
		seen[string(e.Kind)] = e.Payload()
	}
	if got := seen["+sdown"]; got != "master mymaster 127.0.0.1 6379" {
		t.Errorf("+sdown payload %q", got)
	}
	if got := seen["+slave"]; got != "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379" {
		t.Errorf("+slave payload %q", got)
	}
	if _, ok := seen["-sdown"]; !ok {
		t.Errorf("no -sdown event; saw %v", seen)
	}
}

func TestNewConfigFromPeerSwitchesMaster(t *testing.T) {
	net := redislink.NewFakeNet()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	s, err := New(fastConfig(26379, m), Options{Dialer: net, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	peer := strings.Repeat("c", 40)
	s.ProcessHello([]byte("127.0.0.1,26390," + peer + ",5,mymaster,127.0.0.1,6380,5"))
	if s.CurrentEpoch() != 5 {
		t.Fatalf("epoch %d, want 5", s.CurrentEpoch())
	}
	a, _ := s.MasterAddr("mymaster")
	if a != (Addr{Host: "127.0.0.1", Port: 6380}) {
		t.Fatalf("master %v, want the peer's newer config", a)
	}
	reps, _ := s.Replicas("mymaster")
	if len(reps) != 1 || reps[0].Name != "127.0.0.1:6379" {
		t.Fatalf("old master not kept as replica: %+v", reps)
	}
	// An older config epoch changes nothing.
	s.ProcessHello([]byte("127.0.0.1,26390," + peer + ",5,mymaster,127.0.0.1,6379,4"))
	if a, _ := s.MasterAddr("mymaster"); a.Port != 6380 {
		t.Fatalf("older config applied: %v", a)
	}
}
