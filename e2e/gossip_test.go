package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

func gossipMembers(s *cluster.Sentinel) (int, error) {
	v, err := s.Do("INFO", "gossip")
	if err != nil {
		return 0, err
	}
	info := cluster.ParseInfo(v.Text())
	return strconv.Atoi(info["gossip_members"])
}

// TestGossipGroupWithRealSentinel: three of ours joined by memberlist (with
// a shared key) and one redis-sentinel that knows nothing of it watch one
// master; an instance with the wrong key is refused. Killing the master
// fails over once everywhere, the real sentinel included.
func TestGossipGroupWithRealSentinel(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 3, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	ports := []int{cluster.MustFreePort(t), cluster.MustFreePort(t), cluster.MustFreePort(t)}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	g := &group{c: c}
	for k, p := range ports {
		args := []string{"--gossip-bind", addr(p), "--gossip-key", "shared secret"}
		if k > 0 {
			args = append(args, "--gossip-join", addr(ports[0]))
		}
		g.ss = append(g.ss, c.StartSentinel(cluster.Ours, fmt.Sprintf("ours%d", k), cluster.SentinelConfig{Monitors: mon, Args: args}))
	}
	g.ss = append(g.ss, c.StartSentinel(cluster.Real, "real", cluster.SentinelConfig{Monitors: mon}))
	for _, s := range g.ss[:3] {
		cluster.WaitFor(t, 10*time.Second, s.Name+" gossip members", func() error {
			n, err := gossipMembers(s)
			if err != nil || n != 3 {
				return fmt.Errorf("members %d %v", n, err)
			}
			return nil
		})
	}
	intruder := c.StartSentinel(cluster.Ours, "intruder", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "other", Host: "127.0.0.1", Port: 1, Quorum: 1}},
		Args:     []string{"--gossip-bind", addr(cluster.MustFreePort(t)), "--gossip-key", "wrong", "--gossip-join", addr(ports[0])},
	})
	time.Sleep(time.Second)
	if n, _ := gossipMembers(intruder); n != 1 {
		t.Errorf("instance with a wrong key joined: it sees %d members", n)
	}
	if n, _ := gossipMembers(g.ss[0]); n != 3 {
		t.Errorf("members after the intruder tried: %d, want 3", n)
	}
	for _, s := range g.ss {
		s.WaitSentinels(t, "mymaster", 3, 30*time.Second)
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		g.subs = append(g.subs, cluster.Subscribe(t, s.Addr(), "+switch-master", "+odown"))
	}
	killed := time.Now()
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 30*time.Second)
	t.Logf("kill to every sentinel switched (quorum 3 of 4): %v", time.Since(killed).Round(time.Millisecond))
	time.Sleep(2 * time.Second)
	for k, sub := range g.subs {
		n := 0
		for _, m := range sub.Messages() {
			if m.Channel == "+switch-master" && strings.HasPrefix(m.Payload, "mymaster ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s published %d +switch-master, want 1", g.ss[k].Name, n)
		}
	}
}
