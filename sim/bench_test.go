package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// BenchmarkSentinelSizedSeed is the cost of one seed of the size the
// failover simulations will have: a master and two replicas, three
// sentinel-shaped nodes each polling the master (INFO, PUBLISH) at the
// sentinels' 10 Hz tick, 60 simulated seconds, lean trace.
func BenchmarkSentinelSizedSeed(b *testing.B) {
	events := 0
	for i := range b.N {
		w := sim.New(sim.Config{Seed: uint64(i + 1), Lean: true})
		rec := invariant.NewRecorder()
		for j, name := range servers {
			opts := simredis.Options{}
			if j > 0 {
				opts.ReplicaOf = serverAddr(servers[0])
			}
			w.Add(name, serverAddr(name), 100*time.Millisecond, simredis.New(opts))
		}
		for j := 1; j <= 3; j++ {
			w.Add(fmt.Sprintf("sentinel-%d", j), sim.Addr{Host: "10.0.0.2", Port: 26378 + j}, 100*time.Millisecond,
				startWatcher(rec, servers[0]))
		}
		if err := w.RunFor(time.Minute); err != nil {
			b.Fatal(err)
		}
		events += w.Trace().Total()
	}
	b.ReportMetric(float64(events)/float64(b.N), "events/seed")
}
