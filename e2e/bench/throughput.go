package main

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// throughput measures SENTINEL get-master-addr-by-name with clients
// concurrent connections, each sending one request at a time (what a pool
// of Sentinel-aware clients does at startup or reconnect), for d, against
// one sentinel of each implementation watching the same master. The two
// take turns for rounds rounds and each one's median round is reported:
// single runs on this shared 2-CPU machine drifted by ±10% from one to
// the next, more than the difference being measured.
func throughput(clients int, d time.Duration, rounds int) error {
	scope := cluster.NewScope("bench-throughput")
	defer scope.Close()
	c := cluster.New(scope)
	m := c.StartRedis("master")
	mon := []cluster.Monitor{{Name: "mymaster", Redis: m, Quorum: 1}}
	fmt.Printf("\n### SENTINEL get-master-addr-by-name: %d connections, one request in flight each, %v per implementation and round, median of %d alternating rounds\n\n", clients, d, rounds)
	fmt.Println("| | requests/s | p50 | p99 | rounds (requests/s) |")
	fmt.Println("|---|---:|---:|---:|---|")
	impls := []cluster.Impl{cluster.Real, cluster.Ours}
	var results [2][]loadResult
	for r := range rounds {
		for k, impl := range impls {
			s := c.StartSentinel(impl, fmt.Sprintf("%s-%d", impl, r), cluster.SentinelConfig{Monitors: mon})
			res, err := loadOnce(s.Addr(), clients, d)
			s.Kill()
			if err != nil {
				return fmt.Errorf("%s: %w", impl, err)
			}
			results[k] = append(results[k], res)
		}
	}
	var rates [2]float64
	for k, impl := range impls {
		rs := results[k]
		var each []string
		for _, x := range rs {
			each = append(each, fmt.Sprintf("%.0f", x.rate))
		}
		slices.SortFunc(rs, func(a, b loadResult) int { return int(a.rate - b.rate) })
		med := rs[len(rs)/2]
		rates[k] = med.rate
		fmt.Printf("| %s | %.0f | %v | %v | %v |\n", impl, med.rate, med.p50, med.p99, each)
	}
	fmt.Printf("| ratio ours/redis-sentinel | %.2fx | | | |\n", rates[1]/rates[0])
	return nil
}

type loadResult struct {
	rate     float64
	p50, p99 time.Duration
}

// loadOnce runs the clients against addr for d.
func loadOnce(addr string, clients int, d time.Duration) (loadResult, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := cluster.Dial(addr)
			if err != nil {
				return
			}
			defer conn.Close()
			var mine []time.Duration
			for time.Now().Before(end) {
				t0 := time.Now()
				if v, err := conn.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"); err != nil || len(v.Elems) != 2 {
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return loadResult{}, fmt.Errorf("no request answered")
	}
	slices.Sort(lat)
	return loadResult{
		rate: float64(len(lat)) / d.Seconds(),
		p50:  lat[len(lat)/2].Round(time.Microsecond),
		p99:  lat[len(lat)*99/100].Round(time.Microsecond),
	}, nil
}
