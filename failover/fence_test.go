package failover

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// fencedInfo is a master's INFO with the replicas listed at lag and, when
// fenced, the line redis prints while min-replicas-to-write is on.
func fencedInfo(fenced bool, lag int, replicas ...Addr) string {
	var b strings.Builder
	b.WriteString("# Replication\r\nrole:master\r\nconnected_slaves:" + itoa(len(replicas)) + "\r\n")
	if fenced {
		b.WriteString("min_slaves_good_slaves:" + itoa(len(replicas)) + "\r\n")
	}
	for k, a := range replicas {
		b.WriteString("slave" + itoa(k) + ":ip=" + a.Host + ",port=" + itoa(a.Port) + ",state=online,offset=100,lag=" + itoa(lag) + "\r\n")
	}
	b.WriteString("master_failover_state:no-failover\r\nmaster_repl_offset:100\r\n")
	return b.String()
}

func itoa(n int) string { return uitoa(uint64(n)) }

func fenceRig(t *testing.T) *rig {
	r := newRig(t, 2, 2)
	r.m.Config.FenceReplicas = 1
	r.m.Config.FenceMaxLag = 1
	return r
}

func fences(acts []Action) []int {
	var out []int
	for _, a := range ofKind(acts, Fence) {
		out = append(out, a.Replicas)
	}
	return out
}

func TestFenceRaisedWhileReplicasAttach(t *testing.T) {
	r := fenceRig(t)
	// No replica within the lag: nothing to raise.
	r.info(r.m.Master, fencedInfo(false, 5, replicaAddr(0)))
	if f := fences(r.drain()); f != nil {
		t.Fatalf("fence with no good replica: %v", f)
	}
	r.info(r.m.Master, fencedInfo(false, 0, replicaAddr(0)))
	acts := r.drain()
	fa := ofKind(acts, Fence)
	if len(fa) != 1 || fa[0].Replicas != 1 || fa[0].MaxLag != 1 || fa[0].Node != r.m.Master {
		t.Fatalf("raise: %+v", fa)
	}
	r.mustEmit(acts, "+fence")
	want := [][]string{{"CONFIG", "SET", "min-replicas-max-lag", "1"}, {"CONFIG", "SET", "min-replicas-to-write", "1"}, {"CONFIG", "REWRITE"}}
	if tx := fa[0].Tx(""); !slices.EqualFunc(tx, want, slices.Equal) {
		t.Fatalf("tx %q", tx)
	}
	// Raised: nothing more, and losing the replica never lifts it (a
	// sentinel next to a partitioned old master sees exactly that).
	r.info(r.m.Master, fencedInfo(true, 0, replicaAddr(0)))
	r.info(r.m.Master, fencedInfo(true, 9, replicaAddr(0)))
	r.info(r.m.Master, fencedInfo(true, 0))
	if f := fences(r.drain()); f != nil {
		t.Fatalf("fence changed on a fenced master: %v", f)
	}
	// A fence someone removed is raised again.
	r.info(r.m.Master, fencedInfo(false, 0, replicaAddr(1)))
	if f := fences(r.drain()); !slices.Equal(f, []int{1}) {
		t.Fatalf("re-raise: %v", f)
	}
	// Turning fencing off lifts what we raised.
	r.m.Config.FenceReplicas = 0
	r.info(r.m.Master, fencedInfo(true, 0, replicaAddr(1)))
	if f := fences(r.drain()); !slices.Equal(f, []int{0}) {
		t.Fatalf("lift when turned off: %v", f)
	}
}

func TestFenceOffDoesNothing(t *testing.T) {
	r := newRig(t, 2, 2)
	r.info(r.m.Master, fencedInfo(false, 0, replicaAddr(0)))
	// A fence the operator set in redis.conf is not ours to lift.
	r.info(r.m.Master, fencedInfo(true, 0))
	if f := fences(r.drain()); f != nil {
		t.Fatalf("fencing off, yet: %v", f)
	}
	acts := r.elect()
	if so := ofKind(acts, SlaveOf); len(so) != 1 || so[0].Unfence {
		t.Fatalf("promotion unfences with fencing off: %+v", so)
	}
}

func TestFenceLiftedOnPromotion(t *testing.T) {
	r := fenceRig(t)
	acts := r.elect()
	so := ofKind(acts, SlaveOf)
	if len(so) != 1 || !so[0].Unfence {
		t.Fatalf("promotion: %+v", so)
	}
	tx := so[0].Tx("")
	if !slices.ContainsFunc(tx, func(c []string) bool {
		return slices.Equal(c, []string{"CONFIG", "SET", "min-replicas-to-write", "0"})
	}) || !slices.Equal(tx[0], []string{"SLAVEOF", "NO", "ONE"}) {
		t.Fatalf("promotion tx %q", tx)
	}
	// The replicas being reconfigured are not unfenced.
	r.info(r.m.Replicas[replicaAddr(0).String()], promotedInfoText())
	for _, a := range ofKind(r.drain(), SlaveOf) {
		if a.Unfence {
			t.Fatalf("reconfiguration unfences: %+v", a)
		}
	}
}

// A follower (or a sentinel beside a redis-sentinel leader) lifts a fence
// the promoted server kept from an earlier term, but only within
// failover-timeout of the switch; and raises it when a replica attaches.
func TestFenceLiftedAfterSwitch(t *testing.T) {
	r := fenceRig(t)
	r.m.Hello(hello(peerID(0), 26379, 3, replicaAddr(1), 3), r.now)
	r.drain()
	r.answer(r.m.Master)
	r.info(r.m.Master, fencedInfo(true, 0))
	acts := r.drain()
	if f := fences(acts); !slices.Equal(f, []int{0}) {
		t.Fatalf("lift after switch: %v", f)
	}
	r.mustEmit(acts, "-fence")
	// Once is enough.
	r.info(r.m.Master, fencedInfo(true, 0))
	if f := fences(r.drain()); f != nil {
		t.Fatalf("lifted twice: %v", f)
	}
	// The old master comes back as a replica: fenced again.
	r.info(r.m.Master, fencedInfo(false, 0, masterAddr))
	if f := fences(r.drain()); !slices.Equal(f, []int{1}) {
		t.Fatalf("raise after rejoin: %v", f)
	}

	// Long after a switch, a fenced master without replicas stays
	// fenced.
	r2 := fenceRig(t)
	r2.m.Hello(hello(peerID(0), 26379, 3, replicaAddr(1), 3), r2.now)
	r2.drain()
	r2.advance(11 * time.Second)
	r2.answer(r2.m.Master)
	r2.info(r2.m.Master, fencedInfo(true, 0))
	if f := fences(r2.drain()); f != nil {
		t.Fatalf("lift long after the switch: %v", f)
	}
}

// The sentinel that never switched — the one beside the partitioned old
// master — never lifts its fence, whatever its INFO shows.
func TestFenceNeverLiftedOnTheMasterWeKept(t *testing.T) {
	r := fenceRig(t)
	r.info(r.m.Master, fencedInfo(false, 0, replicaAddr(0)))
	r.drain()
	for _, lag := range []int{0, 3, 60} {
		r.info(r.m.Master, fencedInfo(true, lag))
		r.info(r.m.Master, fencedInfo(true, lag, replicaAddr(0)))
	}
	if f := fences(r.drain()); f != nil {
		t.Fatalf("fence changed: %v", f)
	}
}

func TestParseInfoFence(t *testing.T) {
	r := ParseInfo("# Replication\r\nrole:master\r\nconnected_slaves:3\r\nmin_slaves_good_slaves:1\r\n" +
		"slave0:ip=10.0.0.2,port=6380,state=online,offset=1,lag=0\r\n" +
		"slave1:ip=10.0.0.3,port=6380,state=wait_bgsave,offset=0,lag=0\r\n" +
		"slave2:ip=10.0.0.4,port=6380,state=online,offset=1,lag=3\r\n")
	if !r.Fenced || !slices.Equal(r.ReplicaLags, []int{0, 3}) || r.GoodReplicas(1) != 1 || r.GoodReplicas(3) != 2 || len(r.Replicas) != 3 {
		t.Fatalf("%+v", r)
	}
	if ParseInfo("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n").Fenced {
		t.Fatal("fenced without the line")
	}
}
