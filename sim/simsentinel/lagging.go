package simsentinel

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// LaggingReader is the 1,000-master benchmark's sentinels short of CPU:
// now and then one sentinel reads late (sim.World.LagReads: its ticks
// run, the replies it is sent wait) for longer than down-after, while the
// network and everyone else are fine. Such a sentinel must not take its
// own lateness for the others' silence: no peer or replica subjectively
// down to it, no call timed out, no belief of being cut off (the checks
// of reach.go, which excuse only the lag of the node judged), and no
// failover aborted for want of a replica that answers
// (NoGiveUpWithReplicaInReach). The master host dies midway, so that
// lags fall on candidates, leaders and voters too; it comes back at the
// end and every group must settle. From its death the failovers' replies
// flood every sentinel's loop for a while (sim.World.Flood): each reads
// what comes at once but knows itself caught up only 0.3 to 0.9 s later,
// so the INFO a leader selects by was read after that moment, as in the
// 1,000-master bench (MutantNegativeInfoAge).
func LaggingReader(cfg sim.Config) (*sim.World, error) {
	return laggingReader(cfg, "")
}

func laggingReader(cfg sim.Config, mutant Mutant) (*sim.World, error) {
	f := NewFleet(cfg, Layout{Masters: 3, Hosts: 2, Sentinels: 3, Quorum: 2, Mutant: mutant})
	w := f.W
	// A lag every 2 to 4 s, of 1.2 to 2.8 s (down-after is 1 s): a
	// sentinel is lagging most of the time from start to end.
	spells(f, func(s string, rng *rand.Rand) (string, func(), time.Duration) {
		d := time.Duration(1200+rng.IntN(1600)) * time.Millisecond
		return fmt.Sprintf("%s reads late for %v", s, d), func() { w.LagReads(s, d) },
			time.Duration(2000+rng.IntN(2000)) * time.Millisecond
	})
	floods := make([]time.Duration, len(f.Sentinels))
	for k := range floods {
		floods[k] = time.Duration(300+w.Rand().IntN(600)) * time.Millisecond
	}
	return masterHostLost(f, func() {
		for k, s := range f.Sentinels {
			w.Flood(s, floods[k], 8*time.Second)
		}
	})
}

// The timeline of the scenarios where sentinels run short of CPU
// (LaggingReader, SlowTicker): spells from start, the master host lost
// at kill and back at back, the run ended at end.
const spellStart, spellKill, spellBack, spellEnd = 3 * time.Second, 14 * time.Second, 24 * time.Second, 34 * time.Second

// spells puts one spell after another on a sentinel drawn from the seed,
// from spellStart to 4 s before spellEnd: spell draws what it is for
// sentinel s (its trace line and action) and the gap to the next.
func spells(f *Fleet, spell func(s string, rng *rand.Rand) (what string, do func(), gap time.Duration)) {
	w := f.W
	rng := w.Rand()
	for at := spellStart + time.Duration(rng.IntN(1000))*time.Millisecond; at < spellEnd-4*time.Second; {
		s := f.Sentinels[rng.IntN(len(f.Sentinels))]
		what, do, gap := spell(s, rng)
		w.After(at, what, do)
		at += gap
	}
}

// masterHostLost kills every master at spellKill (and does also then),
// heals all at spellBack, runs to spellEnd and wants every group settled.
func masterHostLost(f *Fleet, also func()) (*sim.World, error) {
	w := f.W
	w.After(spellKill, "the master host dies", func() {
		for _, g := range f.Groups {
			w.Crash(g.Servers[0])
		}
		also()
	})
	w.After(spellBack, "the old master host comes back", func() { f.healAll() })
	if err := w.RunFor(spellEnd); err != nil {
		return w, err
	}
	return w, f.settle(5 * time.Second)
}
