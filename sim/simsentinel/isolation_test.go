package simsentinel

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// TestAphyrPartitionIsolates: the first Redis host (every master) and one
// sentinel cut off from the other two sentinels and the replicas' hosts.
// The cut-off sentinel must stop naming the masters to clients
// (failover/isolation.go) while the other two fail over, and name the new
// masters once healed; the invariants hold throughout.
func TestAphyrPartitionIsolates(t *testing.T) {
	f := NewFleet(sim.Config{Seed: 1}, Layout{Masters: 2, Hosts: 3, Sentinels: 3, Quorum: 2})
	w := f.W
	if err := w.RunFor(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	var side []string
	for _, g := range f.Groups {
		side = append(side, g.Servers[0])
	}
	side = append(side, f.Sentinels[0])
	w.Partition(side, others(w.Names(), side))
	if err := w.RunFor(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	cut := f.Sentinel(f.Sentinels[0])
	for _, g := range f.Groups {
		if !cut.Machine(g.Name).Isolated {
			t.Errorf("%s: the cut-off sentinel still names the master to clients", g.Name)
		}
		for _, s := range f.Sentinels[1:] {
			if f.Sentinel(s).Machine(g.Name).Isolated {
				t.Errorf("%s: %s, on the majority side, is isolated", g.Name, s)
			}
		}
	}
	f.healAll()
	if err := w.RunFor(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := f.settle(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}
