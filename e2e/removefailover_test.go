package e2e

import (
	"fmt"
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

// removeMidFailover runs the scenario with three sentinels of impl; the
// old master comes back returnAfter after the REMOVE. It returns the
// timeline of roles seen, and fails the test unless one master is agreed
// on and stays so.
func removeMidFailover(t *testing.T, impl cluster.Impl, returnAfter time.Duration) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{impl, impl, impl}, mon)
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
	if _, err := leader.Do("SENTINEL", "REMOVE", "mymaster"); err != nil {
		t.Fatalf("REMOVE on the leader: %v", err)
	}
	note("REMOVE on the leader %s", leader.Name)
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

	returned := false
	last, stableSince := "", time.Time{}
	deadline := time.Now().Add(returnAfter + 40*time.Second)
	for time.Now().Before(deadline) {
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
			last, stableSince = state, time.Now()
		}
		if returned && time.Since(stableSince) > 5*time.Second {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%s, old master back %v after REMOVE:\n%s", impl, returnAfter, strings.Join(timeline, "\n"))

	// The end: one master, the other server replicating it with its link
	// up, and both remaining sentinels naming that master.
	roles := map[*cluster.Redis]string{master: roleOf(master), replica: roleOf(replica)}
	var masters []*cluster.Redis
	for r, role := range roles {
		if role == "master" {
			masters = append(masters, r)
		}
	}
	if len(masters) != 1 {
		t.Fatalf("%s: %d masters at the end: %v", impl, len(masters), roles)
	}
	m := masters[0]
	for r, role := range roles {
		if r != m && role != fmt.Sprintf("slave of %d link up", m.Port) {
			t.Errorf("%s: %s is %q, want a replica of %d", impl, r.Name, role, m.Port)
		}
	}
	for _, s := range rest {
		if a, err := masterAddr(s, "mymaster"); err != nil || a != m.Addr() {
			t.Errorf("%s: %s names %q (%v), the master is %s", impl, s.Name, a, err, m.Addr())
		}
	}
}

func TestRemoveDuringFailover(t *testing.T) {
	for _, impl := range []cluster.Impl{cluster.Ours, cluster.Real} {
		for _, back := range []time.Duration{2 * time.Second, 12 * time.Second} {
			t.Run(fmt.Sprintf("%s/back-after-%v", impl, back), func(t *testing.T) {
				removeMidFailover(t, impl, back)
			})
		}
	}
}
