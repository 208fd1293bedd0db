package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/redis/go-redis/v9"
)

// group is a set of sentinels watching the same masters, with a
// subscription to +switch-master on each.
type group struct {
	c    *cluster.Cluster
	ss   []*cluster.Sentinel
	subs []*cluster.Subscription
}

func startGroup(t *testing.T, c *cluster.Cluster, impls []cluster.Impl, monitors []cluster.Monitor) *group {
	t.Helper()
	g := &group{c: c}
	for k, impl := range impls {
		s := c.StartSentinel(impl, fmt.Sprintf("sentinel%d-%s", k, impl), cluster.SentinelConfig{Monitors: monitors})
		g.ss = append(g.ss, s)
	}
	for _, s := range g.ss {
		for _, m := range monitors {
			s.WaitSentinels(t, m.Name, len(impls)-1, 30*time.Second)
		}
		g.subs = append(g.subs, cluster.Subscribe(t, s.Addr(), "+switch-master"))
	}
	return g
}

func masterAddr(s *cluster.Sentinel, name string) (string, error) {
	v, err := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)
	if err != nil {
		return "", err
	}
	parts := v.Strings()
	if len(parts) != 2 {
		return "", fmt.Errorf("reply %v", v)
	}
	return parts[0] + ":" + parts[1], nil
}

// waitSwitched waits until every sentinel names want as the master.
func (g *group) waitSwitched(t *testing.T, name, want string, timeout time.Duration) {
	t.Helper()
	for _, s := range g.ss {
		if !s.Running() {
			continue
		}
		cluster.WaitFor(t, timeout, fmt.Sprintf("%s (%s) to name %s for %s", s.Name, s.Impl, want, name), func() error {
			got, err := masterAddr(s, name)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("master is %s", got)
			}
			return nil
		})
	}
}

// switches counts the +switch-master messages each sentinel published for
// name, and checks they all name the same new master.
func (g *group) switches(t *testing.T, name string) []int {
	t.Helper()
	counts := make([]int, len(g.subs))
	target := ""
	for k, sub := range g.subs {
		for _, m := range sub.Messages() {
			f := strings.Fields(m.Payload)
			if len(f) != 5 || f[0] != name {
				continue
			}
			counts[k]++
			to := f[3] + ":" + f[4]
			if target == "" {
				target = to
			} else if to != target {
				t.Errorf("two different new masters for %s: %s and %s", name, target, to)
			}
		}
	}
	return counts
}

func configEpoch(t *testing.T, s *cluster.Sentinel, name string) string {
	t.Helper()
	m, err := s.Master(name)
	if err != nil {
		t.Fatalf("%s: SENTINEL MASTER: %v", s.Name, err)
	}
	return m["config-epoch"]
}

// failoverScenario kills the master of a 1-master topology and checks that
// every sentinel of the group switches once, to the replica, in the same
// epoch; then the old master returns as a replica of the new one.
func failoverScenario(t *testing.T, impls []cluster.Impl) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := startGroup(t, c, impls, mon)
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}

	killed := time.Now()
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 30*time.Second)
	t.Logf("kill to every sentinel switched: %v", time.Since(killed).Round(time.Millisecond))
	// The leader logged its peers' votes as redis does ("<id> voted for
	// <leader> <epoch>"), what an operator reads when an election fails.
	voted := false
	for _, s := range g.ss {
		voted = voted || strings.Contains(s.Logs(), " voted for ")
	}
	if !voted {
		t.Error(`no sentinel logged a peer's vote ("<id> voted for <leader> <epoch>")`)
	}
	time.Sleep(2 * time.Second) // a second +switch-master would show up here
	for k, n := range g.switches(t, "mymaster") {
		if n != 1 {
			t.Errorf("%s (%s) published %d +switch-master, want exactly 1", g.ss[k].Name, g.ss[k].Impl, n)
		}
	}
	e0 := configEpoch(t, g.ss[0], "mymaster")
	for _, s := range g.ss[1:] {
		cluster.WaitFor(t, 10*time.Second, s.Name+" config epoch", func() error {
			if e := configEpoch(t, s, "mymaster"); e != e0 {
				return fmt.Errorf("config-epoch %s, %s has %s", e, g.ss[0].Name, e0)
			}
			return nil
		})
	}
	if e0 == "0" {
		t.Errorf("config epoch still 0 after a failover")
	}

	// The old master comes back (empty) and must be turned into a replica
	// of the new master, not left as a second master.
	if err := master.Restart(); err != nil {
		t.Fatal(err)
	}
	cluster.WaitReplicaOf(t, master, replica, 40*time.Second)
}

func TestFailoverThreeOfOurs(t *testing.T) {
	failoverScenario(t, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours})
}

func TestFailoverMixedTwoOursOneReal(t *testing.T) {
	failoverScenario(t, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Real})
}

func TestFailoverMixedOneOursTwoReal(t *testing.T) {
	failoverScenario(t, []cluster.Impl{cluster.Ours, cluster.Real, cluster.Real})
}

// TestFailoverClientFollows: go-redis's FailoverClient, pointed at our
// sentinels only, keeps writing across a failover.
func TestFailoverClientFollows(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}, mon)
	var addrs []string
	for _, s := range g.ss {
		addrs = append(addrs, s.Addr())
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	ctx := context.Background()
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: addrs,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, WriteTimeout: 500 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k0", "v0", 0).Err(); err != nil {
		t.Fatalf("SET before failover: %v", err)
	}
	cluster.WaitFor(t, 5*time.Second, "k0 replicated", func() error {
		v, err := replica.Do("GET", "k0")
		if err != nil || v.Text() != "v0" {
			return fmt.Errorf("GET k0 on replica: %v %v", v, err)
		}
		return nil
	})
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 30*time.Second)
	cluster.WaitFor(t, 20*time.Second, "SET through the FailoverClient", func() error {
		return rdb.Set(ctx, "k1", "v1", 0).Err()
	})
	for _, k := range []string{"k0", "k1"} {
		v, err := rdb.Get(ctx, k).Result()
		if err != nil || v != "v"+k[1:] {
			t.Errorf("GET %s after failover: %q %v", k, v, err)
		}
	}
	v, err := replica.Do("GET", "k1")
	if err != nil || v.Text() != "v1" {
		t.Errorf("write did not land on the new master: %v %v", v, err)
	}
}

// TestManyMastersOneMachineDown is the seed setup: machine A holds ten
// masters (replicas on B) and the replicas of four masters of B. A dies
// whole: all ten fail over, B's masters keep theirs and see A's replicas go
// down; when A returns its replicas are back and its old masters rejoin
// as replicas.
func TestManyMastersOneMachineDown(t *testing.T) {
	manyMastersOneMachineDown(t, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours})
}

// TestManyMastersOneMachineDownMixed is the same with a real
// redis-sentinel among two of ours: our per-master elections and its
// shared-epoch ones must still agree on every master.
func TestManyMastersOneMachineDownMixed(t *testing.T) {
	manyMastersOneMachineDown(t, []cluster.Impl{cluster.Ours, cluster.Real, cluster.Ours})
}

func manyMastersOneMachineDown(t *testing.T, impls []cluster.Impl) {
	c := cluster.New(t)
	const nA, nB = 10, 4
	var onA []*cluster.Redis
	var mons []cluster.Monitor
	newMaster := map[string]string{}
	type pair struct{ m, r *cluster.Redis }
	var aPairs, bPairs []pair
	for k := range nA {
		m := c.StartRedis(fmt.Sprintf("a-master%d", k))
		r := c.StartReplica(fmt.Sprintf("b-replica%d", k), m)
		aPairs = append(aPairs, pair{m, r})
		onA = append(onA, m)
		name := fmt.Sprintf("a%d", k)
		mons = append(mons, cluster.Monitor{Name: name, Redis: m, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second})
		newMaster[name] = r.Addr()
	}
	for k := range nB {
		m := c.StartRedis(fmt.Sprintf("b-master%d", k))
		r := c.StartReplica(fmt.Sprintf("a-replica%d", k), m)
		bPairs = append(bPairs, pair{m, r})
		onA = append(onA, r)
		mons = append(mons, cluster.Monitor{Name: fmt.Sprintf("b%d", k), Redis: m, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second})
	}
	for _, p := range append(append([]pair{}, aPairs...), bPairs...) {
		cluster.WaitReplicaSynced(t, p.r)
	}
	g := startGroup(t, c, impls, mons)
	for _, s := range g.ss {
		for k, p := range aPairs {
			s.WaitReplica(t, fmt.Sprintf("a%d", k), p.r.Addr(), 30*time.Second)
		}
		for k, p := range bPairs {
			s.WaitReplica(t, fmt.Sprintf("b%d", k), p.r.Addr(), 30*time.Second)
		}
	}

	killed := time.Now()
	for _, r := range onA {
		r.Kill()
	}
	for name, want := range newMaster {
		g.waitSwitched(t, name, want, 30*time.Second)
	}
	t.Logf("machine A killed: %d masters switched on every sentinel after %v", nA, time.Since(killed).Round(time.Millisecond))
	time.Sleep(time.Second)
	for name := range newMaster {
		for k, n := range g.switches(t, name) {
			if n != 1 {
				t.Errorf("%s: %s published %d +switch-master, want 1", name, g.ss[k].Name, n)
			}
		}
	}
	// B's masters did not move, and their replicas on A are seen down.
	for k, p := range bPairs {
		name := fmt.Sprintf("b%d", k)
		for _, s := range g.ss {
			if got, _ := masterAddr(s, name); got != p.m.Addr() {
				t.Errorf("%s moved to %s on %s", name, got, s.Name)
			}
			cluster.WaitFor(t, 10*time.Second, name+" replica on A seen down", func() error {
				reps, err := s.Replicas(name)
				if err != nil {
					return err
				}
				for _, r := range reps {
					if r["name"] == p.r.Addr() && strings.Contains(r["flags"], "s_down") {
						return nil
					}
				}
				return fmt.Errorf("replicas %v", reps)
			})
		}
	}

	// Machine A returns.
	for _, r := range onA {
		if err := r.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	for k, p := range bPairs {
		for _, s := range g.ss {
			s.WaitReplica(t, fmt.Sprintf("b%d", k), p.r.Addr(), 30*time.Second)
		}
	}
	for _, p := range aPairs {
		cluster.WaitReplicaOf(t, p.m, p.r, 40*time.Second)
	}
}

// TestLeaderCrashMidFailover: the elected leader dies at a given step of
// the failover (SIMULATE-FAILURE: right after winning the election, before
// anything was sent; or right after promoting the replica); another
// instance completes the failover after the failover timeout, and every
// switch names the same new master. Then every instance is killed and
// restarted: no epoch goes backwards and no instance votes a second time in
// an epoch it already voted in.
func TestLeaderCrashMidFailover(t *testing.T) {
	for _, step := range []string{"crash-after-election", "crash-after-promotion"} {
		t.Run(step, func(t *testing.T) { leaderCrash(t, step) })
	}
}

func leaderCrash(t *testing.T, step string) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 3 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}, mon)
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
		if _, err := s.Do("SENTINEL", "SIMULATE-FAILURE", step); err != nil {
			t.Fatal(err)
		}
	}
	master.Kill()
	var crashed *cluster.Sentinel
	cluster.WaitFor(t, 20*time.Second, "the leader to crash ("+step+")", func() error {
		for _, s := range g.ss {
			if !s.Running() {
				crashed = s
				return nil
			}
		}
		return fmt.Errorf("all running")
	})
	if st := crashed.ExitState(); st == nil || st.ExitCode() != 99 {
		t.Fatalf("leader exit: %v, want the simulated crash (99)", st)
	}
	for _, s := range g.ss {
		if s != crashed {
			// An unknown flag clears the simulation, as in redis-sentinel.
			s.Do("SENTINEL", "SIMULATE-FAILURE", "nosuch")
		}
	}
	g.waitSwitched(t, "mymaster", replica.Addr(), 40*time.Second)
	for k, s := range g.ss {
		// The reply naming the new master can overtake the event on the
		// subscriber's own connection: wait for the event itself.
		if s != crashed {
			g.subs[k].WaitChannel(5*time.Second, "+switch-master", "mymaster")
		}
	}
	for k, n := range g.switches(t, "mymaster") {
		if g.ss[k] != crashed && n != 1 {
			t.Errorf("%s published %d +switch-master, want 1", g.ss[k].Name, n)
		}
	}
	// The crashed instance comes back and learns the new configuration.
	if err := crashed.Restart(); err != nil {
		t.Fatal(err)
	}
	g.waitSwitched(t, "mymaster", replica.Addr(), 20*time.Second)

	type epochs struct{ current, leader int }
	read := func(s *cluster.Sentinel) epochs {
		t.Helper()
		if _, err := s.Do("SENTINEL", "FLUSHCONFIG"); err != nil {
			t.Fatal(err)
		}
		cf, err := s.Conf()
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := cf.Get("sentinel", "current-epoch")
		le, _ := cf.Get("sentinel", "leader-epoch", "mymaster")
		a, _ := strconv.Atoi(cur)
		b, _ := strconv.Atoi(le)
		return epochs{a, b}
	}
	before := map[*cluster.Sentinel]epochs{}
	votedFor := map[*cluster.Sentinel]string{}
	for _, s := range g.ss {
		before[s] = read(s)
		// Ask for a vote in the epoch this instance last voted in: it must
		// answer with the leader it already chose, never a second one.
		v, err := s.Do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", strconv.Itoa(replica.Port),
			strconv.Itoa(before[s].leader), "0000000000000000000000000000000000000000")
		if err != nil {
			t.Fatal(err)
		}
		votedFor[s] = v.Elems[1].Text()
	}
	for _, s := range g.ss {
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range g.ss {
		after := read(s)
		t.Logf("%s: epochs %+v -> %+v, vote in epoch %d: %s", s.Name, before[s], after, before[s].leader, votedFor[s])
		if after.current < before[s].current || after.leader < before[s].leader {
			t.Errorf("%s: epochs went backwards across restart: %+v -> %+v", s.Name, before[s], after)
		}
		if before[s].leader == 0 {
			continue
		}
		v, err := s.Do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", strconv.Itoa(replica.Port),
			strconv.Itoa(before[s].leader), "1111111111111111111111111111111111111111")
		if err != nil {
			t.Fatal(err)
		}
		if got := v.Elems[1].Text(); got != votedFor[s] || got == "1111111111111111111111111111111111111111" {
			t.Errorf("%s voted again in epoch %d after restart: %q (before: %q)", s.Name, before[s].leader, got, votedFor[s])
		}
	}
}

// TestHungRedisDelaysNobody: one master hangs (SIGSTOP, so TCP stays up
// and nothing answers) while another is killed; both fail over, and the
// killed one as fast as it would alone.
func TestHungRedisDelaysNobody(t *testing.T) {
	c := cluster.New(t)
	hung := c.StartRedis("hung-master")
	hungReplica := c.StartReplica("hung-replica", hung)
	dead := c.StartRedis("dead-master")
	deadReplica := c.StartReplica("dead-replica", dead)
	cluster.WaitReplicaSynced(t, hungReplica)
	cluster.WaitReplicaSynced(t, deadReplica)
	mons := []cluster.Monitor{
		{Name: "hung", Redis: hung, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second},
		{Name: "dead", Redis: dead, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second},
	}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Ours}, mons)
	for _, s := range g.ss {
		s.WaitReplica(t, "hung", hungReplica.Addr(), 30*time.Second)
		s.WaitReplica(t, "dead", deadReplica.Addr(), 30*time.Second)
	}
	if err := hung.Freeze(); err != nil {
		t.Fatal(err)
	}
	defer hung.Thaw()
	start := time.Now()
	dead.Kill()
	g.waitSwitched(t, "dead", deadReplica.Addr(), 20*time.Second)
	took := time.Since(start)
	t.Logf("killed master switched on every sentinel after %v while another master hung", took.Round(time.Millisecond))
	if took > 4*time.Second {
		t.Errorf("failover of the killed master took %v with down-after 1s: the hung one delayed it", took)
	}
	g.waitSwitched(t, "hung", hungReplica.Addr(), 20*time.Second)
}

// TestScriptsRunOnFailover: notification-script gets every warning event
// with redis-sentinel's two arguments, client-reconfig-script gets
// "<master> <leader|observer> start <from-ip> <from-port> <to-ip> <to-port>".
func TestScriptsRunOnFailover(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	dir := c.NewDir("scripts")
	notify, reconf := filepath.Join(dir, "notify.sh"), filepath.Join(dir, "reconf.sh")
	for _, f := range []string{notify, reconf} {
		body := "#!/bin/sh\necho \"$@\" >> " + f + ".$PPID.out\n"
		if err := os.WriteFile(f, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := &group{c: c}
	for k := range 3 {
		g.ss = append(g.ss, c.StartSentinel(cluster.Ours, fmt.Sprintf("ours%d", k), cluster.SentinelConfig{Monitors: mon, Extra: []string{
			"sentinel notification-script mymaster " + notify,
			"sentinel client-reconfig-script mymaster " + reconf,
		}}))
	}
	for _, s := range g.ss {
		s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	master.Kill()
	g.waitSwitched(t, "mymaster", replica.Addr(), 30*time.Second)
	from := fmt.Sprintf("127.0.0.1 %d 127.0.0.1 %d", master.Port, replica.Port)
	var notes, reconfs []string
	cluster.WaitFor(t, 10*time.Second, "scripts to run on every sentinel", func() error {
		notes, reconfs = nil, nil
		for _, s := range g.ss {
			pid := strconv.Itoa(s.Pid())
			n, _ := os.ReadFile(notify + "." + pid + ".out")
			r, _ := os.ReadFile(reconf + "." + pid + ".out")
			if !strings.Contains(string(n), "+switch-master mymaster "+from) {
				return fmt.Errorf("%s notification-script got %q", s.Name, n)
			}
			if len(r) == 0 {
				return fmt.Errorf("%s client-reconfig-script did not run", s.Name)
			}
			notes, reconfs = append(notes, string(n)), append(reconfs, strings.TrimSpace(string(r)))
		}
		return nil
	})
	leaders := 0
	for _, n := range notes {
		if strings.Contains(n, "+elected-leader master mymaster") && !strings.Contains(n, "+sdown master mymaster") {
			t.Errorf("the leader's notification-script did not get +sdown: %q", n)
		}
	}
	for _, r := range reconfs {
		switch r {
		case "mymaster leader start " + from:
			leaders++
		case "mymaster observer start " + from:
		default:
			t.Errorf("client-reconfig-script arguments: %q", r)
		}
	}
	if leaders != 1 {
		t.Errorf("%d leaders ran client-reconfig-script, want 1: %q", leaders, reconfs)
	}
	for _, s := range g.ss {
		v, err := s.Do("SENTINEL", "PENDING-SCRIPTS")
		if err != nil || v.Kind != cluster.Array {
			t.Errorf("PENDING-SCRIPTS: %v %v", v, err)
		}
	}
}

// TestForcedFailover: SENTINEL FAILOVER promotes the replica without any
// agreement, and the others follow through the new config epoch; a second
// one while it runs is refused like redis-sentinel refuses it.
func TestForcedFailover(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mon := []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := startGroup(t, c, []cluster.Impl{cluster.Ours, cluster.Ours, cluster.Real}, mon)
	for _, s := range g.ss {
		s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	}
	conn := cluster.MustDial(t, g.ss[0].Addr())
	if v, err := conn.Do("SENTINEL", "FAILOVER", "mymaster"); err != nil || v.Text() != "OK" {
		t.Fatalf("SENTINEL FAILOVER: %v %v", v, err)
	}
	if v, _ := conn.Do("SENTINEL", "FAILOVER", "mymaster"); g.ss[0].Running() {
		if got, _ := masterAddr(g.ss[0], "mymaster"); got != replica.Addr() && v.Text() != "INPROG Failover already in progress" {
			t.Errorf("second SENTINEL FAILOVER during the first: %v", v)
		}
	}
	g.waitSwitched(t, "mymaster", replica.Addr(), 20*time.Second)
	cluster.WaitReplicaOf(t, master, replica, 20*time.Second)
}
