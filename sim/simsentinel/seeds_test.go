package simsentinel

import (
	"flag"
	"testing"

	"github.com/qsentinel/qsentinel/sim"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "run only this seed (replay); also $SIM_SEED")
	seedsFlag = flag.Int("seeds", 0, "how many seeds to run (default 200; MassFailover runs one in ten); also $SIM_SEEDS")
)

// TestSeeds runs the Chaos scenario over many seeds: real failover
// machines, simulated Redis servers and network.
func TestSeeds(t *testing.T) { runSeeds(t, "TestSeeds", Chaos, nil) }

// TestLeaderCrashSeeds crashes the failover leader at every step, over
// many seeds (each draws the step and the pause).
func TestLeaderCrashSeeds(t *testing.T) { runSeeds(t, "TestLeaderCrashSeeds", LeaderCrash, nil) }

// runSeeds runs sc over the seeds the flags and $SIM_SEED(S) ask for
// (200 when they ask for none); scale, when not nil, turns how many are
// asked for into how many a costlier scenario runs (at least one: a
// replay stays a replay).
func runSeeds(t *testing.T, test string, sc sim.Scenario, scale func(int) int) {
	first, n := sim.SeedRange(*seedFlag, *seedsFlag, 200)
	if scale != nil {
		n = max(1, scale(n))
	}
	sim.RunSeeds(t, sim.SeedOptions{
		First:  first,
		Count:  n,
		Replay: "go test ./sim/simsentinel/ -run '^" + test + "$' -v -seed %d",
	}, sc)
}

// TestMassFailoverSeeds loses the host of many masters with slow saves,
// over seeds (each draws how the masters die and the stall). A seed
// simulates 12 to 24 masters and costs what four Chaos seeds do: it
// runs one seed for every ten asked (20 by default, 100 under make test's
// SIM_SEEDS=1000), which adds about a fifth to the package's run time.
func TestMassFailoverSeeds(t *testing.T) {
	runSeeds(t, "TestMassFailoverSeeds", MassFailover, func(n int) int { return n / 10 })
}

// TestLaggingReaderSeeds lets one sentinel or another read late for
// longer than down-after, over seeds, with the master host lost midway.
func TestLaggingReaderSeeds(t *testing.T) {
	runSeeds(t, "TestLaggingReaderSeeds", LaggingReader, func(n int) int { return n / 10 })
}

// TestSlowTickerSeeds runs one sentinel or another's ticks late while it
// reads on time, over seeds, with the master host lost midway.
func TestSlowTickerSeeds(t *testing.T) {
	runSeeds(t, "TestSlowTickerSeeds", SlowTicker, func(n int) int { return n / 10 })
}

// TestLoadedReplicasSeeds loses the master host while the replica host
// reads every command seconds late, over seeds.
func TestLoadedReplicasSeeds(t *testing.T) {
	runSeeds(t, "TestLoadedReplicasSeeds", LoadedReplicas, func(n int) int { return n / 10 })
}
