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
// one sentinel of each implementation watching the same master.
func throughput(clients int, d time.Duration) error {
	scope := cluster.NewScope("bench-throughput")
	defer scope.Close()
	c := cluster.New(scope)
	m := c.StartRedis("master")
	mon := []cluster.Monitor{{Name: "mymaster", Redis: m, Quorum: 1}}
	fmt.Printf("\n### SENTINEL get-master-addr-by-name: %d connections, one request in flight each, %v per implementation\n\n", clients, d)
	fmt.Println("| | requests/s | p50 | p99 |")
	fmt.Println("|---|---:|---:|---:|")
	var rates []float64
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		s := c.StartSentinel(impl, impl.String(), cluster.SentinelConfig{Monitors: mon})
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		end := time.Now().Add(d)
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, err := cluster.Dial(s.Addr())
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
			return fmt.Errorf("%s: no request answered", impl)
		}
		slices.Sort(lat)
		rate := float64(len(lat)) / d.Seconds()
		rates = append(rates, rate)
		fmt.Printf("| %s | %.0f | %v | %v |\n", impl, rate, lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond))
		s.Kill()
	}
	fmt.Printf("| ratio ours/redis-sentinel | %.2fx | | |\n", rates[1]/rates[0])
	return nil
}
