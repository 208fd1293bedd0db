package simsentinel

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// SlowTicker is the 1,000-master benchmark's sentinels short of CPU seen
// from their timers: now one sentinel, now another runs its ticks 280 to
// 450 ms apart instead of every 100 ms (sim.World.SlowTicks), for 2 to 4
// s, while it reads what comes on time and the network and everyone else
// are fine. How often a sentinel looks must not change what it sees: no
// peer in reach subjectively down (PeerInReachUp), no call timed out, no
// belief of being cut off. Each sentinel watches three masters, so its
// master groups share one PING connection to each peer (peerlink.go):
// with ticks that far apart one group sends every PING and the others
// must take its replies over however late they look (production passed
// a reply on only within a PING period of it: MutantPeerReplyWithinPeriod,
// 0 to 1,608 +sdown of healthy peers per 1,000-master run). The master
// host dies midway, so that slow ticks fall on leaders and voters too;
// it comes back at the end and every group must settle.
func SlowTicker(cfg sim.Config) (*sim.World, error) { return slowTicker(cfg, "") }

func slowTicker(cfg sim.Config, mutant Mutant) (*sim.World, error) {
	f := NewFleet(cfg, Layout{Masters: 3, Hosts: 2, Sentinels: 3, Quorum: 2, Mutant: mutant})
	w := f.W
	spells(f, func(s string, rng *rand.Rand) (string, func(), time.Duration) {
		every := time.Duration(280+rng.IntN(171)) * time.Millisecond
		d := time.Duration(2000+rng.IntN(2000)) * time.Millisecond
		return fmt.Sprintf("%s ticks every %v for %v", s, every, d), func() { w.SlowTicks(s, every, d) },
			time.Duration(1000+rng.IntN(2000)) * time.Millisecond
	})
	return masterHostLost(f, func() {})
}
