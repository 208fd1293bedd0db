package failover

import (
	"testing"

	"github.com/qsentinel/qsentinel/event"
)

// promotedAndReconfiguring takes the rig to our failover in epoch 1 with
// the replica promoted, reconfiguring the others: we announce the
// promoted replica while the machine's master is still the old one.
func (r *rig) promotedAndReconfiguring() {
	r.t.Helper()
	r.elect()
	r.info(r.m.Replicas[replicaAddr(0).String()], promotedInfoText())
	r.drain()
	if r.m.State != StateReconfSlaves || r.m.CurrentMasterAddr() != replicaAddr(0) || r.m.Master.Addr != masterAddr {
		r.t.Fatalf("rig: state %v, announcing %v, master %v", r.m.State, r.m.CurrentMasterAddr(), r.m.Master.Addr)
	}
}

// A newer configuration that names the old master supersedes our
// failover still reconfiguring replicas: we announce what it says, not
// our promoted replica at its epoch (two masters for one epoch, what the
// simulator's Chaos seed 372 found: redis-sentinel compares the hello
// with the master's address, the old master's until its failover ends,
// and so keeps announcing its promoted replica at the newer epoch).
func TestNewerConfigNamingTheOldMasterSupersedesOurFailover(t *testing.T) {
	r := newRig(t, 2, 2)
	r.promotedAndReconfiguring()
	r.m.Hello(Hello{
		Addr: Addr{Host: "10.0.1.1", Port: 26379}, RunID: peerID(0), CurrentEpoch: 2,
		MasterName: r.m.Name, MasterAddr: masterAddr, ConfigEpoch: 2,
	}, r.now)
	acts := r.drain()
	r.mustEmit(acts, "+config-update-from", "+switch-master")
	for _, a := range acts {
		if a.Kind == Emit && a.Event.Kind == event.SwitchMaster &&
			(a.Event.From != event.Addr(replicaAddr(0)) || a.Event.To != event.Addr(masterAddr)) {
			t.Fatalf("+switch-master %v -> %v, want from the promoted replica we announced to the old master", a.Event.From, a.Event.To)
		}
	}
	if r.m.ConfigEpoch != 2 || r.m.CurrentMasterAddr() != masterAddr || r.m.InProgress() {
		t.Fatalf("after the newer config: epoch %d, announcing %v, in progress %v", r.m.ConfigEpoch, r.m.CurrentMasterAddr(), r.m.InProgress())
	}
}

// A newer configuration naming the replica we promoted switches to it at
// once, as redis-sentinel does (it compares with the master, still the
// old one): our failover ends there.
func TestNewerConfigNamingOurPromotedReplicaSwitches(t *testing.T) {
	r := newRig(t, 2, 2)
	r.promotedAndReconfiguring()
	r.m.Hello(Hello{
		Addr: Addr{Host: "10.0.1.1", Port: 26379}, RunID: peerID(0), CurrentEpoch: 2,
		MasterName: r.m.Name, MasterAddr: replicaAddr(0), ConfigEpoch: 2,
	}, r.now)
	r.mustEmit(r.drain(), "+config-update-from", "+switch-master")
	if r.m.ConfigEpoch != 2 || r.m.CurrentMasterAddr() != replicaAddr(0) || r.m.Master.Addr != replicaAddr(0) || r.m.InProgress() {
		t.Fatalf("epoch %d, announcing %v, master %v, in progress %v", r.m.ConfigEpoch, r.m.CurrentMasterAddr(), r.m.Master.Addr, r.m.InProgress())
	}
}
