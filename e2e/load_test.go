package e2e

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestLoadManyClientsDuringFailover: 2,000 client connections asking for
// master addresses and 20 PSUBSCRIBE * subscribers on one of our
// sentinels while all 50 masters fail over at once. No client sees an
// error, every subscriber receives the same events (none missed), and the
// request latency percentiles are logged (BENCHMARKS.md).
func TestLoadManyClientsDuringFailover(t *testing.T) {
	const masters, subscribers = 50, 20
	clients := 2000
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(clients+500) {
		// Go raises the soft limit to the hard one at start; below that a
		// machine cannot hold the connections at all.
		clients = int(lim.Cur) - 500
		if clients < 500 {
			t.Skipf("open file limit %d is too low for a load test", lim.Cur)
		}
		t.Logf("open file limit %d: %d clients instead of 2,000", lim.Cur, clients)
	}
	c := cluster.New(t)
	var mons []cluster.Monitor
	var olds []*cluster.Redis
	want := map[string]string{}
	for k := range masters {
		m := c.StartRedis(fmt.Sprintf("master%d", k))
		r := c.StartReplica(fmt.Sprintf("replica%d", k), m)
		name := fmt.Sprintf("m%d", k)
		mons = append(mons, cluster.Monitor{Name: name, Redis: m, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second})
		olds = append(olds, m)
		want[name] = r.Addr()
	}
	g := startGroup(t, c, threeOurs, mons)
	for name, addr := range want {
		for _, s := range g.ss {
			s.WaitReplica(t, name, addr, 30*time.Second)
		}
	}
	target := g.ss[0]

	var subs []*cluster.Subscription
	for range subscribers {
		subs = append(subs, cluster.Subscribe(t, target.Addr(), "*"))
	}
	var conns []*cluster.Conn
	for range clients {
		conn, err := cluster.Dial(target.Addr())
		if err != nil {
			t.Fatalf("client %d of %d: %v", len(conns)+1, clients, err)
		}
		conns = append(conns, conn)
	}
	t.Cleanup(func() {
		for _, conn := range conns {
			conn.Close()
		}
	})

	var (
		stop    atomic.Bool
		errs    atomic.Int64
		firstMu sync.Mutex
		first   error
		latMu   sync.Mutex
		lats    []time.Duration
		wg      sync.WaitGroup
	)
	for k, conn := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("m%d", k%masters)
			var mine []time.Duration
			// Spread the clients over the 250 ms period.
			time.Sleep(time.Duration(k%250) * time.Millisecond)
			for !stop.Load() {
				t0 := time.Now()
				v, err := conn.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
				if err == nil && (v.IsError() || len(v.Elems) != 2) {
					err = fmt.Errorf("reply %v", v)
				}
				if err != nil {
					errs.Add(1)
					firstMu.Lock()
					if first == nil {
						first = err
					}
					firstMu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
				time.Sleep(250 * time.Millisecond)
			}
			latMu.Lock()
			lats = append(lats, mine...)
			latMu.Unlock()
		}()
	}
	time.Sleep(time.Second)
	killed := time.Now()
	for _, m := range olds {
		m.Kill()
	}
	for name, addr := range want {
		g.waitSwitched(t, name, addr, 40*time.Second)
	}
	took := time.Since(killed)
	time.Sleep(2 * time.Second) // let the tail of the events arrive
	stop.Store(true)
	wg.Wait()

	if n := errs.Load(); n != 0 {
		t.Errorf("%d of %d clients saw an error; first: %v", n, clients, first)
	}
	slices.Sort(lats)
	if len(lats) == 0 {
		t.Fatal("no request completed")
	}
	pct := func(p int) time.Duration { return lats[(len(lats)-1)*p/100].Round(10 * time.Microsecond) }
	t.Logf("%d clients, %d subscribers, %d masters; every sentinel checked switched after %v; %d requests: p50 %v, p99 %v, max %v",
		clients, subscribers, masters, took.Round(time.Millisecond), len(lats), pct(50), pct(99), lats[len(lats)-1].Round(10*time.Microsecond))

	ref := subs[0].Messages()
	switches := 0
	var last time.Duration
	for _, m := range ref {
		if m.Channel == "+switch-master" {
			switches++
			last = max(last, m.At.Sub(killed))
		}
	}
	t.Logf("last +switch-master seen by a subscriber %v after the kill", last.Round(time.Millisecond))
	kinds := map[string]int{}
	for _, m := range ref {
		kinds[m.Channel]++
	}
	t.Logf("events: %v", kinds)
	if switches != masters {
		t.Errorf("subscriber 0 saw %d +switch-master, want %d", switches, masters)
	}
	for k, sub := range subs[1:] {
		got := sub.Messages()
		if len(got) != len(ref) {
			t.Errorf("subscriber %d got %d events, subscriber 0 got %d", k+1, len(got), len(ref))
			continue
		}
		for i := range got {
			if got[i].Channel != ref[i].Channel || got[i].Payload != ref[i].Payload {
				t.Errorf("subscriber %d event %d: %s, subscriber 0: %s", k+1, i, got[i], ref[i])
				break
			}
		}
	}
	t.Logf("every subscriber received the same %d events", len(ref))
}
