package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// SENTINEL REMOVE on the leader in the middle of a failover (issue 17
// item 5). The leader has sent SLAVEOF NO ONE to the replica and then
// forgets the master; the other two sentinels never hear the end of the
// failover. Then the old master comes back. Whatever the sentinels do,
// the group must end with one master, the other server replicating it,
// and the remaining sentinels naming that master.

// roleOf is "master" or "slave of <port>" (with the link's state) for r,
// or "down".
func roleOf(r *cluster.Redis) string {
	info, err := r.Info("replication")
	if err != nil {
		return "down"
	}
	if info["role"] == "master" {
		return "master"
	}
	return "slave of " + info["master_port"] + " link " + info["master_link_status"]
}

// removeMidFailover runs the scenario with sentinels of impls; the
// old master comes back returnAfter after it was killed (the REMOVE comes
// about 1 s after the kill). It logs the timeline of roles seen, and fails
// the test unless one master is agreed on and stays so (and, for ours,
// unless that is the promoted replica).
func removeMidFailover(t *testing.T, impls []cluster.Impl, returnAfter time.Duration) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second}}
	g := startGroup(t, c, impls, mon)
	promoting := make(chan *cluster.Sentinel, len(g.ss))
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		sub := cluster.Subscribe(t, s.Addr(), "+failover-state-wait-promotion")
		go func() {
			if _, err := sub.WaitChannel(30*time.Second, "+failover-state-wait-promotion", ""); err == nil {
				promoting <- s
			}
		}()
	}
	start := time.Now()
	var timeline []string
	note := func(format string, args ...any) {
		timeline = append(timeline, fmt.Sprintf("%5.1fs ", time.Since(start).Seconds())+fmt.Sprintf(format, args...))
	}
	master.Kill()
	note("master %d killed", master.Port)
	var leader *cluster.Sentinel
	select {
	case leader = <-promoting:
	case <-time.After(30 * time.Second):
		t.Fatal("no sentinel reached wait-promotion")
	}
	impl := leader.Impl
	if len(impls) > 1 && impls[0] != impls[1] && impl != cluster.Ours {
		t.Skipf("the leader was %s; the mixed case needs ours to lead", impl)
	}
	// redis-sentinel removes the master at once; ours refuses while the
	// promotion is under way and until a peer announces its outcome, and
	// the operator retries.
	refused, firstRefusal := 0, ""
	for {
		_, err := leader.Do("SENTINEL", "REMOVE", "mymaster")
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "retry") || time.Since(start) > 30*time.Second {
			t.Fatalf("REMOVE on the leader: %v", err)
		}
		if refused == 0 || !strings.Contains(err.Error(), firstRefusal) {
			note("REMOVE refused: %v", err)
			firstRefusal = err.Error()[strings.Index(err.Error(), "ERR"):]
		}
		refused++
		time.Sleep(100 * time.Millisecond)
	}
	note("REMOVE on the leader %s done (%d refusals before)", leader.Name, refused)
	var rest []*cluster.Sentinel
	for _, s := range g.ss {
		if s != leader {
			rest = append(rest, s)
		}
	}
	named := func() string {
		var out []string
		for _, s := range rest {
			a, err := masterAddr(s, "mymaster")
			if err != nil {
				a = err.Error()
			}
			out = append(out, a)
		}
		return strings.Join(out, " ")
	}

	// settled: one master, the other server its replica with the link
	// up, both remaining sentinels naming it.
	settled := func() (*cluster.Redis, bool) {
		mr, rr := roleOf(master), roleOf(replica)
		var m, other *cluster.Redis
		switch {
		case mr == "master" && rr != "master":
			m, other = master, replica
		case rr == "master" && mr != "master":
			m, other = replica, master
		default:
			return nil, false
		}
		if roleOf(other) != fmt.Sprintf("slave of %d link up", m.Port) {
			return nil, false
		}
		for _, s := range rest {
			if a, err := masterAddr(s, "mymaster"); err != nil || a != m.Addr() {
				return nil, false
			}
		}
		return m, true
	}
	returned, demoted := false, false
	last, settledSince := "", time.Time{}
	var final *cluster.Redis
	for deadline := time.Now().Add(returnAfter + 40*time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if !returned && time.Since(start) >= returnAfter {
			if err := master.Restart(); err != nil {
				t.Fatal(err)
			}
			returned = true
			note("old master back (as a master, empty)")
		}
		state := fmt.Sprintf("old %d: %s; replica %d: %s; sentinels name %s",
			master.Port, roleOf(master), replica.Port, roleOf(replica), named())
		if state != last {
			note("%s", state)
			last = state
		}
		if strings.HasPrefix(roleOf(replica), "slave") {
			demoted = true
		}
		m, ok := settled()
		switch {
		case !ok || !returned:
			settledSince, final = time.Time{}, nil
		case settledSince.IsZero() || m != final:
			settledSince, final = time.Now(), m
		case time.Since(settledSince) > 3*time.Second:
			deadline = time.Now()
		}
	}
	t.Logf("%s leading, old master back %v after it was killed:\n%s", impl, returnAfter, strings.Join(timeline, "\n"))

	if final == nil {
		t.Fatalf("%s: no single master agreed on within 40 s of the old master's return", impl)
	}
	if demoted {
		// The promoted replica was turned back into a replica of the
		// old master: what it had taken is gone (and here, its whole
		// data set: the old master came back empty).
		if impl == cluster.Ours {
			t.Errorf("ours: the promoted replica was demoted to the returning old master")
		} else {
			t.Logf("%s: the promoted replica was demoted to the returning old master (its data replaced by the old master's)", impl)
		}
	}
}

// In make test: ours, with the old master back 2 s after it was killed
// (before the other sentinels would redo the failover). With
// QSENTINEL_REMOVE_BOTH=1, redis-sentinel too, and both with the old
// master back after the others' own failover (12 s).
func TestRemoveDuringFailover(t *testing.T) {
	groups := [][]cluster.Impl{{cluster.Ours, cluster.Ours, cluster.Ours}}
	backs := []time.Duration{2 * time.Second}
	if os.Getenv("QSENTINEL_REMOVE_BOTH") != "" {
		groups = append(groups, []cluster.Impl{cluster.Real, cluster.Real, cluster.Real})
		backs = append(backs, 12*time.Second)
	}
	for _, impls := range groups {
		for _, back := range backs {
			t.Run(fmt.Sprintf("%s/back-after-%v", impls[0], back), func(t *testing.T) {
				removeMidFailover(t, impls, back)
			})
		}
	}
}

// A mixed group, ours and two redis-sentinels: when ours leads, the
// redis-sentinels learn the outcome from its hellos before the REMOVE is
// accepted. The leader is whoever wins the election; a run where a
// redis-sentinel won says so and skips.
//
//	QSENTINEL_REMOVE_MIXED=1 go test -count=1 -run TestRemoveDuringFailoverMixed -v ./e2e/
func TestRemoveDuringFailoverMixed(t *testing.T) {
	if os.Getenv("QSENTINEL_REMOVE_MIXED") == "" {
		t.Skip("set QSENTINEL_REMOVE_MIXED=1")
	}
	removeMidFailover(t, []cluster.Impl{cluster.Ours, cluster.Real, cluster.Real}, 2*time.Second)
}
