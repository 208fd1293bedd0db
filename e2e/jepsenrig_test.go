package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// jepsenRig is the data-path rig of issue 17: a master and its replica,
// three sentinels and HAProxy in front, where every link that matters goes
// through a fault proxy. Each Redis has one proxy that everyone uses to
// reach it — sentinels (tagged by run id), the replica's replication link
// (tagged cluster.ReplicationTag), HAProxy's checks and clients
// (untagged) — so a fault can cut exactly the links a scenario names.
// Each sentinel announces its own proxy to its peers. Half of the clients
// that go through HAProxy reach its frontend through one more proxy
// (fproxy), and HAProxy reaches our agent-check through another (aproxy).
//
// Routing: ours uses the config `sentinel haproxy-config` generates, with
// the agent-check on sentinel 2 (the majority side in the partition
// scenario); redis-sentinel uses the usual tcp-check role:master recipe
// over the same two proxied servers. Both also get go-redis
// FailoverClients asking the three sentinels directly.
type jepsenRig struct {
	t      *testing.T
	c      *cluster.Cluster
	setup  jepsenSetup
	redis  [2]*cluster.Redis      // 0 started as master, 1 as its replica
	rproxy [2]*cluster.FaultProxy // in front of each Redis, for everyone
	ss     []*cluster.Sentinel
	sproxy []*cluster.FaultProxy // in front of each sentinel, for peers
	ids    []string              // run id prefixes: the proxies' tags
	front  string                // HAProxy's frontend
	fproxy *cluster.FaultProxy   // in front of HAProxy's frontend, for half its clients
	aproxy *cluster.FaultProxy   // between HAProxy and our agent-check (ours only)

	cur    int       // the master as of the last converge (0 at the start)
	victim int       // the Redis a scenario's fault took down
	leader int       // the sentinel a scenario's fault took down
	notes  []string  // what a scenario learned that its row must say (which sentinel led)
	clock0 time.Time // jumpClock: when it jumped (monotonic), zero when not jumped

	mu     sync.Mutex
	events []*cluster.Subscription // per sentinel, its current run's events

	stopFlap func() // ends a flapping fault; nil when none runs
}

// agentSentinel runs our agent-check.
const agentSentinel = 2

// jepsenSetup is one column of the comparison: who monitors and routes,
// and whether the zero-loss configuration is on.
type jepsenSetup struct {
	name, short string
	impl        cluster.Impl
	// zeroLoss: our sentinels fence the master (fence-min-replicas 1,
	// fence-max-lag 1: min-replicas-to-write managed by the sentinels)
	// and every client confirms each write with WAIT 1, and each read
	// with a fence write and WAIT 1 (cluster.DoFencedRead).
	zeroLoss bool
}

var (
	setupRecipe   = jepsenSetup{name: "redis-sentinel + tcp-check role:master", short: "redis-sentinel", impl: cluster.Real}
	setupOurs     = jepsenSetup{name: "ours + haproxy-config agent", short: "ours", impl: cluster.Ours}
	setupZeroLoss = jepsenSetup{name: "ours zero-loss (fence + WAIT 1, fenced reads)", short: "zero-loss", impl: cluster.Ours, zeroLoss: true}
	jepsenSetups  = []jepsenSetup{setupRecipe, setupOurs, setupZeroLoss}
)

// zeroLossLines are the documented zero-loss configuration's sentinel
// lines for master name.
func zeroLossLines(name string) []string {
	return []string{"sentinel fence-min-replicas " + name + " 1", "sentinel fence-max-lag " + name + " 1"}
}

func newJepsenRig(t *testing.T, setup jepsenSetup) *jepsenRig {
	t.Helper()
	c := cluster.New(t)
	impl := setup.impl
	r := &jepsenRig{t: t, c: c, setup: setup}
	r.rproxy[0] = c.StartProxy("127.0.0.1:1")
	r.rproxy[1] = c.StartProxy("127.0.0.1:1")
	announce := func(i int) []string {
		return []string{"--replica-announce-ip", "127.0.0.1", "--replica-announce-port", strconv.Itoa(r.rproxy[i].Port())}
	}
	r.redis[0] = c.StartRedis("redis0", announce(0)...)
	r.rproxy[0].SetTarget(r.redis[0].Addr())
	// The replica replicates through redis0's proxy, the address the
	// sentinels monitor (another one would be "fixed" by the sentinels).
	r.redis[1] = c.StartRedis("redis1", append([]string{"--replicaof", "127.0.0.1", strconv.Itoa(r.rproxy[0].Port())}, announce(1)...)...)
	r.rproxy[1].SetTarget(r.redis[1].Addr())
	cluster.WaitReplicaSynced(t, r.redis[1])

	mon := []cluster.Monitor{{Name: rigMaster, Host: "127.0.0.1", Port: r.rproxy[0].Port(), Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	sock := cluster.HAProxySocket(t)
	agentPort := cluster.MustFreePort(t)
	for k := range 3 {
		p := c.StartProxy("127.0.0.1:1")
		sc := cluster.SentinelConfig{
			Monitors: mon,
			Extra:    []string{"sentinel announce-ip 127.0.0.1", "sentinel announce-port " + strconv.Itoa(p.Port())},
		}
		if setup.zeroLoss {
			sc.Extra = append(sc.Extra, zeroLossLines(rigMaster)...)
		}
		if impl == cluster.Ours && k == agentSentinel {
			sc.Args = []string{"--agent-check", "127.0.0.1:" + strconv.Itoa(agentPort), "--haproxy-socket", sock}
		}
		s := c.StartSentinel(impl, fmt.Sprintf("sentinel%d-%s", k, impl), sc)
		p.SetTarget(s.Addr())
		id, err := s.MyID()
		if err != nil {
			t.Fatalf("%s: SENTINEL MYID: %v", s.Name, err)
		}
		r.ss, r.sproxy, r.ids = append(r.ss, s), append(r.sproxy, p), append(r.ids, id[:8])
		r.events = append(r.events, cluster.Subscribe(t, s.Addr(), "*"))
	}
	for _, s := range r.ss {
		s.WaitSentinels(t, rigMaster, 2, 30*time.Second)
		s.WaitReplica(t, rigMaster, r.rproxy[1].Addr(), 30*time.Second)
	}
	front := cluster.MustFreePort(t)
	var cfg string
	if impl == cluster.Ours {
		// HAProxy asks the agent through aproxy: the generated config
		// names the proxy's port as the agent's.
		r.aproxy = c.StartProxy("127.0.0.1:" + strconv.Itoa(agentPort))
		cfg = cluster.OurHAProxyConfig(t, r.ss[agentSentinel], r.aproxy.Port(), front, sock)
	} else {
		cfg = cluster.TCPCheckRecipe(front, sock, r.rproxy[0].Addr(), r.rproxy[1].Addr())
	}
	cluster.StartHAProxy(t, c, "haproxy", cfg, front)
	// HAProxy starts with every server up and routes to the replica too
	// until its first checks: wait for those, or the warm-up would read
	// from the replica (a stale read the history rightly flags) before
	// any fault.
	cluster.WaitFor(t, 15*time.Second, "HAProxy to route to one server", func() error {
		st, err := cluster.HAProxyServerStatus(sock, rigMaster)
		if err != nil {
			return err
		}
		up := 0
		for _, s := range st {
			if strings.HasPrefix(s, "UP") {
				up++
			}
		}
		if up != 1 || len(st) != 2 {
			return fmt.Errorf("servers %v", st)
		}
		return nil
	})
	r.front = "127.0.0.1:" + strconv.Itoa(front)
	r.fproxy = c.StartProxy(r.front)
	return r
}

// workload is the seeded workload of a run on this rig: 4 clients through
// HAProxy (every second one through fproxy), 2 FailoverClients; in the
// zero-loss setup every write is confirmed with WAIT 1, and every read
// by a fence write and WAIT 1.
func (r *jepsenRig) workload(seed int64, keyPrefix string) *cluster.Workload {
	w := &cluster.Workload{Seed: seed, KeyPrefix: keyPrefix, Front: r.front, FrontAlt: r.fproxy.Addr(), FrontClients: 4,
		MasterName: rigMaster, SentinelAddrs: r.sentinelAddrs(), FailoverClients: 2}
	if r.setup.zeroLoss {
		w.WaitReplicas, w.FenceReads = 1, true
	}
	return w
}

// note records something the scenario's row must say.
func (r *jepsenRig) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// sentinelAddrs are the sentinels' own ports, for FailoverClients: the
// clients' way to the sentinels is not part of any fault here.
func (r *jepsenRig) sentinelAddrs() []string {
	var out []string
	for _, s := range r.ss {
		out = append(out, s.Addr())
	}
	return out
}

// partition cuts sentinels minority plus Redis redisInMinority (by index)
// off from everything else, replication included; clients, HAProxy and
// the agent still reach every Redis.
func (r *jepsenRig) partition(minority []int, redisInMinority int) {
	var redisIn [2]bool
	redisIn[redisInMinority] = true
	cutSentinelLinks(r.sproxy, r.rproxy, r.ids, minority, redisIn)
	for i := range r.rproxy {
		r.rproxy[i].Set(cluster.ReplicationTag, cluster.Cut)
	}
}

// heal stops any flapping and removes every fault.
func (r *jepsenRig) heal() {
	if r.stopFlap != nil {
		r.stopFlap()
		r.stopFlap = nil
	}
	r.healProxies()
}

func (r *jepsenRig) healProxies() {
	for _, p := range append(r.sproxy, r.rproxy[:]...) {
		p.Heal()
	}
	r.fproxy.Heal()
	if r.aproxy != nil {
		r.aproxy.Heal()
	}
}

// flap applies cut, heals, and again, every period until heal.
func (r *jepsenRig) flap(period time.Duration, cut func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(period)
		defer tick.Stop()
		on := false
		for {
			if on = !on; on {
				cut()
			} else {
				r.healProxies()
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	r.stopFlap = func() { close(done); <-stopped }
	r.t.Cleanup(func() {
		if r.stopFlap != nil {
			r.stopFlap()
		}
	})
}

// converge waits until every sentinel names the same master, that Redis
// says it is a master, and the other one replicates from it with its link
// up: the state the final reads may trust. It returns the master's index.
func (r *jepsenRig) converge(timeout time.Duration) int {
	r.t.Helper()
	master, err := r.tryConverge(timeout)
	if err != nil {
		r.t.Fatalf("%v", err)
	}
	return master
}

// tryConverge is converge that returns an error instead of failing the
// test: a group that never agrees again is an outcome to report.
func (r *jepsenRig) tryConverge(timeout time.Duration) (int, error) {
	master := -1
	err := cluster.Poll(timeout, func() error {
		addr := ""
		for _, s := range r.ss {
			v, err := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", rigMaster)
			if err != nil {
				return fmt.Errorf("%s: %v", s.Name, err)
			}
			a := v.Text()
			if arr := v.Strings(); len(arr) == 2 {
				a = arr[0] + ":" + arr[1]
			}
			if addr == "" {
				addr = a
			} else if a != addr {
				return fmt.Errorf("%s names %s, another %s", s.Name, a, addr)
			}
		}
		i := -1
		for k, p := range r.rproxy {
			if p.Addr() == addr {
				i = k
			}
		}
		if i < 0 {
			return fmt.Errorf("sentinels name %s, which is neither Redis", addr)
		}
		info, err := r.redis[i].Info("replication")
		if err != nil || info["role"] != "master" {
			return fmt.Errorf("redis%d is not a master: %v %v", i, info["role"], err)
		}
		other, err := r.redis[1-i].Info("replication")
		if err != nil {
			return err
		}
		if other["role"] != "slave" || other["master_port"] != strconv.Itoa(r.rproxy[i].Port()) || other["master_link_status"] != "up" {
			return fmt.Errorf("redis%d: role %s of port %s, link %s", 1-i, other["role"], other["master_port"], other["master_link_status"])
		}
		master = i
		return nil
	})
	if err != nil {
		return -1, fmt.Errorf("sentinels and Redis to agree on one master: %w", err)
	}
	r.cur = master
	return master, nil
}

// restartSentinel starts sentinel k again after a kill, with a fresh
// event subscription.
func (r *jepsenRig) restartSentinel(k int) {
	r.t.Helper()
	if err := r.ss[k].Restart(); err != nil {
		r.t.Fatalf("restart %s: %v", r.ss[k].Name, err)
	}
	sub := cluster.Subscribe(r.t, r.ss[k].Addr(), "*")
	r.mu.Lock()
	old := r.events[k]
	r.events[k] = sub
	r.mu.Unlock()
	old.Close()
}

// restartRedis starts Redis i again, empty (no persistence), as a master:
// the sentinels must demote it. (Restarted with its --replicaof, a
// promoted redis1 would replicate from its own replica; see
// cluster.Redis.RestartAsMaster.)
func (r *jepsenRig) restartRedis(i int) {
	r.t.Helper()
	if err := r.redis[i].RestartAsMaster(); err != nil {
		r.t.Fatalf("restart redis%d: %v", i, err)
	}
}

// eventMark is how many events each current subscription holds: what
// came before a fault, for waitLeader to pass over.
func (r *jepsenRig) eventMark() map[*cluster.Subscription]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	mark := map[*cluster.Subscription]int{}
	for _, sub := range r.events {
		mark[sub] = len(sub.Messages())
	}
	return mark
}

// waitLeader returns the sentinel that published channel (a step only
// the failover's leader takes: +selected-slave, +promoted-slave) about
// the rig's master after mark, polling every few milliseconds so that a
// scenario can act on the leader right after the step.
func (r *jepsenRig) waitLeader(channel string, mark map[*cluster.Subscription]int, timeout time.Duration) int {
	r.t.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		r.mu.Lock()
		subs := append([]*cluster.Subscription(nil), r.events...)
		r.mu.Unlock()
		for k, sub := range subs {
			for _, m := range sub.Messages()[mark[sub]:] {
				if m.Channel == channel && strings.Contains(m.Payload, rigMaster) {
					return k
				}
			}
		}
	}
	r.t.Fatalf("no sentinel announced %s within %v", channel, timeout)
	return -1
}

// waitMovedFrom waits until a majority of the sentinels name a master
// other than Redis i: the failover away from it is done, and i may come
// back (empty) without its replica resyncing from it and losing all.
func (r *jepsenRig) waitMovedFrom(i int, timeout time.Duration) {
	r.t.Helper()
	cluster.WaitFor(r.t, timeout, fmt.Sprintf("a majority of the sentinels to name a master other than redis%d", i), func() error {
		moved := 0
		for _, s := range r.ss {
			if !s.Running() {
				continue
			}
			v, err := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", rigMaster)
			if arr := v.Strings(); err == nil && len(arr) == 2 && arr[0]+":"+arr[1] != r.rproxy[i].Addr() {
				moved++
			}
		}
		if moved*2 <= len(r.ss) {
			return fmt.Errorf("%d of %d moved", moved, len(r.ss))
		}
		return nil
	})
}

// victimBackAfterFailover restarts the killed master (empty) once a
// majority names a new one: back earlier, it would wipe its replica,
// which would resync from it, a loss no sentinel causes or can prevent.
func (r *jepsenRig) victimBackAfterFailover() {
	r.t.Helper()
	r.waitMovedFrom(r.victim, time.Minute)
	r.restartRedis(r.victim)
}

// freeze stops p (SIGSTOP); thaw resumes it.
func (r *jepsenRig) freeze(p *cluster.Process) {
	r.t.Helper()
	if err := p.Freeze(); err != nil {
		r.t.Fatalf("SIGSTOP %s: %v", p.Name, err)
	}
}

func (r *jepsenRig) thaw(p *cluster.Process) {
	r.t.Helper()
	if err := p.Thaw(); err != nil {
		r.t.Fatalf("SIGCONT %s: %v", p.Name, err)
	}
}
