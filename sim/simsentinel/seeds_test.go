package simsentinel

import (
	"flag"
	"testing"

	"github.com/qsentinel/qsentinel/sim"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "run only this seed (replay); also $SIM_SEED")
	seedsFlag = flag.Int("seeds", 0, "how many seeds to run (default 200); also $SIM_SEEDS")
)

// TestSeeds runs the Chaos scenario over many seeds: real failover
// machines, simulated Redis servers and network.
func TestSeeds(t *testing.T) { runSeeds(t, "TestSeeds", Chaos) }

// TestLeaderCrashSeeds crashes the failover leader at every step, over
// many seeds (each draws the step and the pause).
func TestLeaderCrashSeeds(t *testing.T) { runSeeds(t, "TestLeaderCrashSeeds", LeaderCrash) }

// runSeeds runs sc over the seeds the flags and $SIM_SEED(S) ask for.
func runSeeds(t *testing.T, test string, sc sim.Scenario) {
	first, n := sim.SeedRange(*seedFlag, *seedsFlag, 200)
	sim.RunSeeds(t, sim.SeedOptions{
		First:  first,
		Count:  n,
		Replay: "go test ./sim/simsentinel/ -run '^" + test + "$' -v -seed %d",
	}, sc)
}
