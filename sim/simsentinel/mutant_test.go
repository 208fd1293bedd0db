package simsentinel

import (
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
)

// TestPlantedBugsAreCaught shows that the simulator fails when an
// invariant is broken on purpose: each mutant is run over seeds until one
// fails, and the failure must name the invariant the bug breaks. (A
// simulator that passes every seed proves nothing unless it can fail.)
func TestPlantedBugsAreCaught(t *testing.T) {
	for _, c := range []struct {
		mutant Mutant
		want   string
	}{
		{MutantDoubleVote, invariant.OneVotePerEpoch},
		{MutantLyingVote, MinorityElected},
		{MutantForgetEpoch, invariant.EpochsNeverGoBack},
		{MutantFenceTooHigh, FencedWritable},
		// The 1,000-master benchmark's +odown of new masters no peer saw
		// down (redis-sentinel's behaviour): Chaos catches it in about
		// one seed in six.
		{MutantOpinionsSurviveSwitch, ODownOnEvidence},
	} {
		t.Run(string(c.mutant), func(t *testing.T) {
			mustCatch(t, c.mutant, c.want, 200, func(seed uint64) error {
				_, err := chaos(sim.Config{Seed: seed, Lean: true}, c.mutant)
				return err
			})
		})
	}
}

// TestSlowSaveBugsAreCaught plants the two bugs the 200-master benchmark
// found and shows that MassFailover catches each on the check it breaks:
// PING replies held behind vote saves (the old hold, on the old shared
// link, or the shared link alone: one or two saves of hundreds of ms are
// past the link timeout), and the dead old master counted as a replica
// cut off. MutantHoldAllReplies alone is not here: with votes on their
// own link it holds only vote replies, which slows elections but breaks
// no invariant (its harm to PINGs needs the shared link, the first row).
func TestSlowSaveBugsAreCaught(t *testing.T) {
	for _, c := range []struct {
		mutant Mutant
		want   string
	}{
		{Plant(MutantHoldAllReplies, MutantVotesOnPeerLink), PeerInReachAnswers},
		{MutantVotesOnPeerLink, PeerInReachAnswers},
		{MutantCountUnheardReplicas, FailsClosedOnlyWhenCut},
	} {
		t.Run(string(c.mutant), func(t *testing.T) {
			mustCatch(t, c.mutant, c.want, 20, func(seed uint64) error {
				_, err := massFailover(sim.Config{Seed: seed, Lean: true}, c.mutant, SlowSaves)
				return err
			})
		})
	}
}

// TestLateReaderBugsAreCaught plants the two halves of the bug the
// 1,000-master benchmark found (a sentinel whose reads lag taking its own
// lateness for the others' silence: in its judgement of who is down, and
// in its calls' timeouts) and shows that LaggingReader catches each on the
// check it breaks.
func TestLateReaderBugsAreCaught(t *testing.T) {
	for _, c := range []struct {
		mutant Mutant
		want   string
	}{
		{MutantJudgeByNow, PeerInReachUp},
		{MutantExpireByNow, PeerInReachAnswers},
	} {
		t.Run(string(c.mutant), func(t *testing.T) {
			mustCatch(t, c.mutant, c.want, 20, func(seed uint64) error {
				_, err := laggingReader(sim.Config{Seed: seed, Lean: true}, c.mutant)
				return err
			})
		})
	}
}

// TestSlowTickerBugIsCaught plants the shared peer PING's old pass-on
// rule, which the 1,000-master benchmark showed (healthy peers
// subjectively down in the failover), and shows that SlowTicker catches
// it on PeerInReachUp: with ticks more than a PING period apart, the
// groups that did not send the PING never took its reply over.
func TestSlowTickerBugIsCaught(t *testing.T) {
	mustCatch(t, MutantPeerReplyWithinPeriod, PeerInReachUp, 20, func(seed uint64) error {
		_, err := slowTicker(sim.Config{Seed: seed, Lean: true}, MutantPeerReplyWithinPeriod)
		return err
	})
}

// mustCatch runs seeds 1 to seeds until run fails, and wants that failure
// to be on the invariant want: the planted bug must be caught, and for
// the reason it breaks.
func mustCatch(t *testing.T, mutant Mutant, want string, seeds uint64, run func(seed uint64) error) {
	t.Helper()
	for seed := uint64(1); seed <= seeds; seed++ {
		err := run(seed)
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("seed %d failed, but not on %q: %v", seed, want, err)
		}
		t.Logf("caught at seed %d: %v", seed, err)
		return
	}
	t.Fatalf("%d seeds passed with the %s bug planted", seeds, mutant)
}

// TestSelectBugsAreCaught plants the two select_slave bugs the
// 1,000-master bench found, each of which turned a failover into an abort
// that settled later, and shows that the scenario with the load that bench
// had catches each on NoGiveUpWithReplicaInReach: the leader giving up
// after the 2 s grace while a replica on a loaded host answers, its INFO
// only late (LoadedReplicas), and an INFO read after the caught-up moment
// counted as never while the sentinels' loops are flooded (LaggingReader).
func TestSelectBugsAreCaught(t *testing.T) {
	for _, c := range []struct {
		mutant Mutant
		run    func(sim.Config, Mutant) (*sim.World, error)
	}{
		{MutantSelectGraceOnly, loadedReplicas},
		{MutantNegativeInfoAge, laggingReader},
	} {
		t.Run(string(c.mutant), func(t *testing.T) {
			mustCatch(t, c.mutant, NoGiveUpWithReplicaInReach, 20, func(seed uint64) error {
				_, err := c.run(sim.Config{Seed: seed, Lean: true}, c.mutant)
				return err
			})
		})
	}
}
