package simsentinel

import (
	"flag"
	"testing"

	"github.com/qsentinel/qsentinel/sim"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "run only this seed (replay); also $SIM_SEED")
	seedsFlag = flag.Int("seeds", 0, "how many seeds to run (default 200, 30 for MassFailover); also $SIM_SEEDS")
)

// TestSeeds runs the Chaos scenario over many seeds: real failover
// machines, simulated Redis servers and network.
func TestSeeds(t *testing.T) { runSeeds(t, "TestSeeds", Chaos, 200) }

// TestLeaderCrashSeeds crashes the failover leader at every step, over
// many seeds (each draws the step and the pause).
func TestLeaderCrashSeeds(t *testing.T) { runSeeds(t, "TestLeaderCrashSeeds", LeaderCrash, 200) }

// runSeeds runs sc over the seeds the flags and $SIM_SEED(S) ask for,
// def of them when they ask for none.
func runSeeds(t *testing.T, test string, sc sim.Scenario, def int) {
	first, n := sim.SeedRange(*seedFlag, *seedsFlag, def)
	sim.RunSeeds(t, sim.SeedOptions{
		First:  first,
		Count:  n,
		Replay: "go test ./sim/simsentinel/ -run '^" + test + "$' -v -seed %d",
	}, sc)
}

// TestMassFailoverSeeds loses the host of many masters with slow saves,
// over seeds (each draws how the masters die and the stall). A seed
// simulates 20 to 30 masters: 30 seeds by default keep the package's run
// time about what it was.
func TestMassFailoverSeeds(t *testing.T) { runSeeds(t, "TestMassFailoverSeeds", MassFailover, 30) }
