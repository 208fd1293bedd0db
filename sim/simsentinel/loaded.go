package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// LoadedReplicas is the 1,000-master bench's replica host short of CPU:
// when the master host dies, the host of every replica reads each
// command 2.5 to 3.5 s late (sim.World.TrailReads), PINGs and INFO alike,
// until the old host comes back. Every replica still answers and may be
// promoted: down-after is 10 s here (production's default is 30 s), so
// the link timeout (5 s) and down-after leave room for replies that late.
// But INFO comes every 10 s, as in production, so a leader's view of a
// replica's INFO is often too old at select_slave, and the INFO it asked
// for at +sdown comes past select_slave's 2 s grace: the leader must wait
// for it (failover.Machine.selectWait, MutantSelectGraceOnly), not give
// up (NoGiveUpWithReplicaInReach). Every group must settle at the end.
func LoadedReplicas(cfg sim.Config) (*sim.World, error) { return loadedReplicas(cfg, "") }

func loadedReplicas(cfg sim.Config, mutant Mutant) (*sim.World, error) {
	f := NewFleet(cfg, Layout{Masters: 4, Hosts: 2, Sentinels: 3, Quorum: 2, Mutant: mutant,
		DownAfter: 10 * time.Second, FailoverTimeout: 20 * time.Second, InfoPeriod: 10 * time.Second})
	w := f.W
	// The kill comes after a reach window (three down-after periods)
	// before the failovers, so that the checks judge every leader.
	const kill, back, end = 22 * time.Second, 50 * time.Second, 65 * time.Second
	behind := time.Duration(2500+w.Rand().IntN(1000)) * time.Millisecond
	w.After(kill, fmt.Sprintf("the master host dies; the replica host reads %v late", behind), func() {
		for _, g := range f.Groups {
			w.Crash(g.Servers[0])
			for _, r := range g.Servers[1:] {
				w.TrailReads(r, behind, back-kill)
			}
		}
	})
	w.After(back, "the old master host comes back", func() { f.healAll() })
	if err := w.RunFor(end); err != nil {
		return w, err
	}
	return w, f.settle(5 * time.Second)
}
