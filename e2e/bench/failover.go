package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// failoverRun is one kill of every master of a fresh topology.
type failoverRun struct {
	last   time.Duration // kill to the last master's first +switch-master
	median time.Duration // median over masters
	missed int           // masters that never switched within the timeout
}

// runFailover starts n masters with a replica each and three sentinels of
// impl (down-after 1000 ms), kills every master at once (SIGKILL), and times
// each master's first +switch-master seen on any sentinel.
func runFailover(impl cluster.Impl, n int) (failoverRun, error) {
	scope := cluster.NewScope("bench-failover")
	defer scope.Close()
	c := cluster.New(scope)
	var masters, replicas []*cluster.Redis
	var mons []cluster.Monitor
	for k := range n {
		m := c.StartRedis(fmt.Sprintf("m%d", k))
		masters = append(masters, m)
		mons = append(mons, cluster.Monitor{Name: fmt.Sprintf("m%d", k), Redis: m, Quorum: 2,
			DownAfter: time.Second, FailoverTimeout: 10 * time.Second})
	}
	for k, m := range masters {
		replicas = append(replicas, c.StartReplica(fmt.Sprintf("r%d", k), m))
	}
	for _, r := range replicas {
		cluster.WaitReplicaSynced(scope, r)
	}
	var ss []*cluster.Sentinel
	for k := range 3 {
		ss = append(ss, c.StartSentinel(impl, fmt.Sprintf("s%d", k), cluster.SentinelConfig{Monitors: mons}))
	}
	for _, s := range ss {
		for k, r := range replicas {
			s.WaitSentinels(scope, mons[k].Name, 2, 60*time.Second)
			s.WaitReplica(scope, mons[k].Name, r.Addr(), 60*time.Second)
		}
	}
	var subs []*cluster.Subscription
	for _, s := range ss {
		subs = append(subs, cluster.Subscribe(scope, s.Addr(), "+switch-master"))
	}
	// Let every sentinel settle into its steady ping rhythm.
	time.Sleep(2 * time.Second)
	start := time.Now()
	for _, m := range masters {
		m.Kill()
	}
	first := map[string]time.Duration{}
	deadline := time.Now().Add(60 * time.Second)
	for len(first) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		for _, sub := range subs {
			for _, msg := range sub.Messages() {
				name, _, _ := strings.Cut(msg.Payload, " ")
				if d := msg.At.Sub(start); first[name] == 0 || d < first[name] {
					first[name] = d
				}
			}
		}
	}
	var ds []time.Duration
	for _, d := range first {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	r := failoverRun{missed: n - len(first)}
	if len(ds) > 0 {
		r.last, r.median = ds[len(ds)-1], ds[len(ds)/2]
	}
	return r, nil
}

// failoverTable runs every (impl, size) runs times and prints medians and
// ratios as a Markdown table.
func failoverTable(sizes []int, runs int) error {
	fmt.Printf("\n## Failover: SIGKILL every master, time to +switch-master (down-after 1000 ms, 3 sentinels, median of %d runs)\n\n", runs)
	fmt.Println("| masters | redis-sentinel: all switched | ours: all switched | ratio | redis-sentinel: median master | ours: median master | ratio |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range sizes {
		res := map[cluster.Impl][]failoverRun{}
		for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
			for range runs {
				r, err := runFailover(impl, n)
				if err != nil {
					return err
				}
				if r.missed > 0 {
					fmt.Printf("<!-- %s, %d masters: %d never switched within 60 s -->\n", impl, n, r.missed)
				}
				res[impl] = append(res[impl], r)
			}
		}
		med := func(rs []failoverRun, f func(failoverRun) time.Duration) time.Duration {
			var ds []time.Duration
			for _, r := range rs {
				ds = append(ds, f(r))
			}
			slices.Sort(ds)
			return ds[len(ds)/2]
		}
		last := func(r failoverRun) time.Duration { return r.last }
		mid := func(r failoverRun) time.Duration { return r.median }
		rl, ol := med(res[cluster.Real], last), med(res[cluster.Ours], last)
		rm, om := med(res[cluster.Real], mid), med(res[cluster.Ours], mid)
		fmt.Printf("| %d | %d ms | %d ms | %.2f | %d ms | %d ms | %.2f |\n", n,
			rl.Milliseconds(), ol.Milliseconds(), ratio(ol, rl), rm.Milliseconds(), om.Milliseconds(), ratio(om, rm))
	}
	return nil
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
