package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestCoordinatedFailoverIsElected: SENTINEL FAILOVER <name> COORDINATED
// means what it means in Valkey 9: not a forced failover but one the
// sentinels elect a leader for, carried out by the master's FAILOVER TO.
// With both sentinels up it is elected and switches; with the other one
// down (quorum 2) it cannot be elected and is abandoned, where a plain
// SENTINEL FAILOVER would go ahead alone.
func TestCoordinatedFailoverIsElected(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: 5 * time.Second, FailoverTimeout: 4 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours}, mon)
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	sub := cluster.Subscribe(t, g.ss[0].Addr(), "*")
	defer sub.Close()
	conn := cluster.MustDial(t, g.ss[0].Addr())
	defer conn.Close()
	expect := func(want string, args ...string) {
		t.Helper()
		v, err := conn.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		if v.Text() != want {
			t.Errorf("%q = %s, want %q", args, v, want)
		}
	}
	expect("OK", "SENTINEL", "FAILOVER", "mymaster", "COORDINATED")
	expect("INPROG Failover already in progress", "SENTINEL", "FAILOVER", "mymaster", "COORDINATED")
	if v, err := conn.Do("SENTINEL", "MASTER", "mymaster"); err != nil || v.KV()["flags"] != "s_down,master,failover_in_progress,coordinated_failover" &&
		v.KV()["flags"] != "master,failover_in_progress,coordinated_failover" {
		t.Errorf("flags during a coordinated failover: %q %v", v.KV()["flags"], err)
	}
	g.waitSwitched(t, "mymaster", replica.Addr(), 20*time.Second)
	cluster.WaitReplicaOf(t, master, replica, 20*time.Second)
	var seen []string
	for _, m := range sub.Messages() {
		seen = append(seen, m.Channel)
	}
	for _, ev := range []string{"+try-failover", "-sdown", "+vote-for-leader", "+elected-leader", "+selected-slave", "+promoted-slave", "+switch-master"} {
		if !slices.Contains(seen, ev) {
			t.Errorf("no %s among the events: %v", ev, seen)
		}
	}

	// Now the other sentinel is down: no majority, no coordinated
	// failover (back to the old master), while a plain one is forced.
	g.ss[1].Kill()
	cluster.WaitFor(t, 20*time.Second, "the replica's INFO to be fresh", func() error {
		v, err := conn.Do("SENTINEL", "FAILOVER", "mymaster", "COORDINATED")
		if err != nil {
			return err
		}
		if v.Text() != "OK" {
			return cluster.RedisError(v.Text())
		}
		return nil
	})
	if _, err := sub.WaitChannel(15*time.Second, "-failover-abort-not-elected", ""); err != nil {
		t.Errorf("coordinated failover without a majority: %v", err)
	}
	if got, err := masterAddr(g.ss[0], "mymaster"); err != nil || got != replica.Addr() {
		t.Errorf("master after the refused election: %s %v, want %s", got, err, replica.Addr())
	}
	cluster.WaitFor(t, 20*time.Second, "a plain SENTINEL FAILOVER to be accepted", func() error {
		v, err := conn.Do("SENTINEL", "FAILOVER", "mymaster")
		if err != nil {
			return err
		}
		if v.Text() != "OK" {
			return cluster.RedisError(v.Text())
		}
		return nil
	})
	g.waitSwitched(t, "mymaster", master.Addr(), 20*time.Second)
}
