package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sim"
)

// FailoverSteps are the events a failover leader publishes on its way,
// in order: LeaderCrash crashes the leader right after one of them.
var FailoverSteps = []event.Kind{
	"+try-failover", event.ElectedLeader, "+failover-state-select-slave", "+selected-slave",
	"+failover-state-send-slaveof-noone", "+failover-state-wait-promotion", "+promoted-slave",
	"+failover-state-reconf-slaves", "+slave-reconf-sent", "+slave-reconf-done", event.FailoverEnd,
	event.SwitchMaster,
}

// LeaderCrash is the e2e test TestFaultLeaderKilledAtEachState made
// exhaustive: the master of one group is killed, and the sentinel that
// publishes the failover step drawn from the seed crashes at that very
// event (before anything after it is carried out), comes back after a
// random pause with what it had saved, and the group must still settle on
// one master every sentinel names, with every invariant holding.
func LeaderCrash(cfg sim.Config) (*sim.World, error) {
	f := NewFleet(cfg, Layout{Masters: 1, Hosts: 3, Sentinels: 3, Quorum: 2})
	w := f.W
	step := FailoverSteps[w.Rand().IntN(len(FailoverSteps))]
	pause := time.Duration(w.Rand().IntN(5000)) * time.Millisecond
	crashed := false
	f.Ledger.OnEvent = func(sentinel string, e event.Event) {
		if crashed || e.Kind != step {
			return
		}
		crashed = true
		// After this event's handler returns: the world is in the middle
		// of the sentinel's step, and a crash there is what we test.
		w.After(0, fmt.Sprintf("crash %s at %s", sentinel, step), func() {
			w.Crash(sentinel)
			w.After(pause, "restart "+sentinel, func() { w.Restart(sentinel) })
		})
	}
	f.writeEvery(100*time.Millisecond, w.Now().Add(35*time.Second))
	w.After(3*time.Second, "kill the master", func() { w.Kill(f.Groups[0].Servers[0]) })
	w.After(20*time.Second, "restart the old master", func() { f.healAll() })
	if err := w.RunFor(40 * time.Second); err != nil {
		return w, err
	}
	return w, f.settle(2 * time.Second)
}
