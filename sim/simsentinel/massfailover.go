package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// MassFailover is the setup the project was built for losing its master
// machine, the way the 200-master benchmark did: many masters (12 to 24,
// by seed) on one Redis host with their replicas on another, three
// sentinels (quorum 2) whose saves take time (SlowSaves), and the master
// host lost: every master at once, or one after another within up to 5 s.
// Many elections overlap, each candidate asks its peers for a vote every
// 100 ms per master while it waits, and each vote is answered only once
// saved. There is no network fault among the sentinels, so the checks of
// reach.go judge every sentinel all along: none may go without a peer's
// PING replies for a link timeout, see a peer down or stop naming a
// master. Odd seeds then stall two of the sentinels (frozen, or crashed
// and restarted) once the failovers are done: the third sees its peers
// go down while the dead old masters are listed as replicas, and must go
// on naming the masters it promoted or learned. The old host comes back
// at the end, and every group must settle on one master every sentinel
// names. One seed in three kills the host's Redis processes instead: its
// ports refuse connects, and the sentinels' redials to them are bounded
// (Layout.RedialsPerSecond) to about one every 3 s each.
func MassFailover(cfg sim.Config) (*sim.World, error) {
	return massFailover(cfg, "", SlowSaves)
}

// SlowSaves is the disk of MassFailover: most saves take 5 to 10 ms, one
// in four 400 to 800 ms (an fsync queued behind other writers on a busy
// disk; the benchmark measured 50 to 300 ms under load). massFailover
// takes the distribution as an argument.
var SlowSaves = BusyDisk(10*time.Millisecond, 800*time.Millisecond, 0.25)

func massFailover(cfg sim.Config, mutant Mutant, saves SaveTimes) (*sim.World, error) {
	// By seed, not drawn: the fleet is built before the world exists.
	masters := 12 + int(cfg.Seed*7919%13)
	// One seed in three loses the master host's Redis processes, not the
	// machine: its ports refuse connects (World.RefuseWhileDown), and the
	// sentinels' redials to them are bounded as a thousand refusing ports
	// bound production's (failover.RedialBudget): each dead master is
	// redialled about every 3 s instead of every second, so the old host
	// is seen back, and its masters demoted, seconds late.
	redials := 0
	if cfg.Seed%3 == 2 {
		redials = masters / 3
	}
	f := NewFleet(cfg, Layout{Masters: masters, Hosts: 2, Sentinels: 3, Quorum: 2, Mutant: mutant, SaveTimes: saves, RedialsPerSecond: redials})
	w := f.W
	if redials > 0 {
		for _, g := range f.Groups {
			for _, s := range g.Servers {
				w.RefuseWhileDown(s)
			}
		}
	}
	const start, stallAt, back, end = 3 * time.Second, 12 * time.Second, 18 * time.Second, 26 * time.Second
	// The host's masters die within spread of each other: at once when
	// the machine loses power, one after another when its processes are
	// killed in turn (the OOM killer, a rolling kill). Either way the
	// elections of many masters overlap, and each peer keeps receiving
	// vote requests for as long as they go on.
	spread := time.Duration(w.Rand().IntN(6)) * time.Second
	for _, g := range f.Groups {
		at := start
		if spread > 0 {
			at += time.Duration(w.Rand().Int64N(int64(spread)))
		}
		w.After(at, "master host: "+g.Servers[0]+" dies", func() { w.Crash(g.Servers[0]) })
	}
	if cfg.Seed%2 == 1 {
		f.stallPeers(stallAt)
	}
	w.After(back, "the old master host comes back", func() { f.healAll() })
	if err := w.RunFor(end); err != nil {
		return w, err
	}
	// A sentinel sees an old master back when its redial comes round
	// (up to masters/redials seconds with the budget), demotes it once it
	// has reported its role for 8 s (redis-sentinel's wait), and the
	// demoted replica then catches up.
	settleFor := 5 * time.Second
	if redials > 0 {
		settleFor += time.Duration(masters/redials+1) * time.Second
	}
	if err := f.settle(settleFor); err != nil {
		return w, fmt.Errorf("%d masters: %w", masters, err)
	}
	return w, nil
}

// stallPeers leaves one sentinel, drawn from the seed, running alone for
// a few seconds from at: the two others are frozen, or crashed and then
// restarted.
func (f *Fleet) stallPeers(at time.Duration) {
	w := f.W
	rng := w.Rand()
	alone := f.Sentinels[rng.IntN(len(f.Sentinels))]
	freeze := rng.IntN(2) == 0
	d := time.Duration(2000+rng.IntN(3000)) * time.Millisecond
	w.After(at, "stall every sentinel but "+alone, func() {
		for _, s := range f.Sentinels {
			switch {
			case s == alone:
			case freeze:
				w.Freeze(s, d)
			default:
				w.Crash(s)
				w.After(d, "restart "+s, func() { w.Restart(s) })
			}
		}
	})
}
