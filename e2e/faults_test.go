package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

var threeOurs = []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}

// TestFaultMinorityNeverFailsOver: one sentinel cut off from its peers and
// from both Redis servers sees the master down, but alone it is a minority:
// no failover, no epoch bump; the majority sees a healthy master and does
// nothing either. After healing, all agree on the old master.
func TestFaultMinorityNeverFailsOver(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.isolate(0)
	sub := r.events[0][0]
	if _, err := sub.WaitChannel(10*time.Second, "+sdown", "master"); err != nil {
		t.Fatalf("isolated sentinel never saw the master down: %v", err)
	}
	time.Sleep(5 * time.Second) // several down-after periods and ask rounds
	r.expectNoFailover(t, "in a minority")
	r.healAndExpect(t, 0, 20*time.Second)
}

// TestFaultMajorityFailsOverMinorityFollows: the master and one sentinel
// on one side, two sentinels and the replica on the other. The majority
// fails over; the minority cannot. On healing the old master is demoted
// and the minority sentinel adopts the new configuration.
func TestFaultMajorityFailsOverMinorityFollows(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.split([]int{0}, [2]bool{true, false})
	r.waitSwitch(t, 15*time.Second, 1, 2)
	if n := r.switched(0); n != 0 {
		t.Errorf("the minority sentinel switched %d times while cut off", n)
	}
	r.healAndExpect(t, 1, 30*time.Second)
}

// TestFaultMasterCutFromSentinels: every sentinel loses the master while
// clients still reach it. The quorum fails over; when the cut heals, the
// old master is demoted (what it took meanwhile is lost: the reason to run
// with min-replicas-to-write, see README).
func TestFaultMasterCutFromSentinels(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.cutRedis(0)
	r.waitSwitch(t, 15*time.Second, r.all()...)
	if _, err := r.redis[0].Do("SET", "during-cut", "x"); err != nil {
		t.Fatalf("clients lost the master too: %v", err)
	}
	r.healAndExpect(t, 1, 30*time.Second)
}

// TestFaultLatencyNoSpuriousFailover: 150 ms each way on every sentinel
// link to the master (a 300 ms round trip, within the 500 ms a command may
// take before its link counts as dead, as in redis-sentinel): nobody fails
// over.
func TestFaultLatencyNoSpuriousFailover(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.rproxy[0].SetLatency(150 * time.Millisecond)
	time.Sleep(6 * time.Second)
	r.expectNoFailover(t, "under latency")
	r.healAndExpect(t, 0, 20*time.Second)
}

// TestFaultOneWayLoss: the master receives every command but none of its
// replies reach the sentinels. That is a dead master to them: exactly one
// failover, and the old master demoted once replies flow again.
func TestFaultOneWayLoss(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.rproxy[0].Set("", cluster.Fault{HoldDown: true})
	r.waitSwitch(t, 15*time.Second, r.all()...)
	r.healAndExpect(t, 1, 30*time.Second)
	for k := range r.ss {
		if n := r.switched(k); n != 1 {
			t.Errorf("%s announced %d switches, want 1", r.ss[k].Name, n)
		}
	}
}

// TestFaultLeaderFrozen: the leader is SIGSTOPped as soon as it is elected
// and stays frozen past the failover timeout. Another sentinel must finish
// the job in a newer epoch; when the frozen one wakes it must follow the
// newer configuration, not push its own.
func TestFaultLeaderFrozen(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 3*time.Second)
	r.redis[0].Kill()
	leader := r.waitFirst(t, "+elected-leader", 15*time.Second)
	if err := r.ss[leader].Freeze(); err != nil {
		t.Fatal(err)
	}
	frozen := true
	defer func() {
		if frozen {
			r.ss[leader].Signal(syscall.SIGCONT)
		}
	}()
	other := (leader + 1) % 3
	if _, err := r.events[other][0].WaitChannel(30*time.Second, "+switch-master", rigMaster); err != nil {
		t.Fatalf("no switch while the leader is frozen: %v", err)
	}
	time.Sleep(4 * time.Second) // past its failover timeout
	r.ss[leader].Signal(syscall.SIGCONT)
	frozen = false
	if err := r.redis[0].Restart(); err != nil {
		t.Fatal(err)
	}
	r.healAndExpect(t, 1, 30*time.Second)
}

// TestFaultRestartAllAtOnce: every sentinel is SIGKILLed at the same moment
// and restarted. They come back with their epochs and the same master, and
// still fail over afterwards.
func TestFaultRestartAllAtOnce(t *testing.T) {
	r := newFaultRig(t, threeOurs, time.Second, 4*time.Second)
	r.checkInvariants(t)
	for _, s := range r.ss {
		s.Kill()
	}
	for k := range r.ss {
		r.restartSentinel(t, k)
	}
	if got := r.converge(t, 20*time.Second); got != 0 {
		t.Errorf("master is redis%d after the restart, want redis0", got)
	}
	r.checkInvariants(t)
	for _, s := range r.ss {
		s.WaitSentinels(t, rigMaster, 2, 30*time.Second)
	}
	r.redis[0].Kill()
	r.waitSwitch(t, 20*time.Second, r.all()...) // on the subscriptions made after the restart
	if err := r.redis[0].Restart(); err != nil {
		t.Fatal(err)
	}
	r.healAndExpect(t, 1, 30*time.Second)
}

// TestFaultMixedPartition: the same majority/minority split with a real
// redis-sentinel in the majority: the two implementations fail over
// together and the isolated one of ours follows.
func TestFaultMixedPartition(t *testing.T) {
	r := newFaultRig(t, []cluster.Impl{cluster.Ours, cluster.Real, cluster.Ours}, time.Second, 4*time.Second)
	r.split([]int{0}, [2]bool{true, false})
	r.waitSwitch(t, 20*time.Second, 1)
	r.healAndExpect(t, 1, 30*time.Second)
	for k := range r.ss {
		for _, m := range r.events[k][0].Messages() {
			if m.Channel == "-failover-abort-not-elected" && strings.Contains(m.Payload, rigMaster) {
				t.Logf("%s: %s", r.ss[k].Name, m)
			}
		}
	}
}

// TestFaultLeaderKilledAtEachState: the master dies, and the sentinel that
// announces a given failover step first is SIGKILLed the moment its event
// arrives: after winning the election, after choosing the replica, after
// sending SLAVEOF NO ONE, while waiting for the promotion, after seeing it,
// while reconfiguring replicas, after the switch. The others switch (by
// their own failover in a newer epoch, or from the victim's last hello);
// then the killed one comes back, the old master returns and is demoted,
// and everyone agrees on the replica with the invariants intact.
func TestFaultLeaderKilledAtEachState(t *testing.T) {
	steps := []string{
		"+elected-leader",
		"+failover-state-select-slave",
		"+failover-state-send-slaveof-noone",
		"+failover-state-wait-promotion",
		"+promoted-slave",
		"+failover-state-reconf-slaves",
		"+switch-master",
	}
	for _, step := range steps {
		t.Run(strings.TrimPrefix(step, "+"), func(t *testing.T) {
			r := newFaultRig(t, threeOurs, time.Second, 3*time.Second)
			r.redis[0].Kill()
			victim := r.waitFirst(t, step, 15*time.Second)
			r.ss[victim].Kill()
			t.Logf("%s announced %s first: killed", r.ss[victim].Name, step)
			// The old master stays dead until the others have switched,
			// by their own failover in a newer epoch or from the victim's
			// last hello. (Back sooner, before anyone announced the
			// switch, it would stay master, as with redis-sentinel.)
			var others []int
			for k := range r.ss {
				if k != victim {
					others = append(others, k)
				}
			}
			r.waitSwitch(t, 30*time.Second, others...)
			r.restartSentinel(t, victim)
			if err := r.redis[0].Restart(); err != nil {
				t.Fatal(err)
			}
			r.healAndExpect(t, 1, 45*time.Second)
		})
	}
}
