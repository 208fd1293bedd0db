package e2e

import (
	"fmt"
	"strconv"
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
// Each sentinel announces its own proxy to its peers.
//
// Routing: ours uses the config `sentinel haproxy-config` generates, with
// the agent-check on sentinel 2 (the majority side in the partition
// scenario); redis-sentinel uses the usual tcp-check role:master recipe
// over the same two proxied servers. Both also get go-redis
// FailoverClients asking the three sentinels directly.
type jepsenRig struct {
	t      *testing.T
	c      *cluster.Cluster
	impl   cluster.Impl
	redis  [2]*cluster.Redis      // 0 started as master, 1 as its replica
	rproxy [2]*cluster.FaultProxy // in front of each Redis, for everyone
	ss     []*cluster.Sentinel
	sproxy []*cluster.FaultProxy // in front of each sentinel, for peers
	ids    []string              // run id prefixes: the proxies' tags
	front  string                // HAProxy's frontend

	stopFlap func() // ends a flapping fault; nil when none runs
}

// agentSentinel runs our agent-check.
const agentSentinel = 2

func newJepsenRig(t *testing.T, impl cluster.Impl) *jepsenRig {
	t.Helper()
	c := cluster.New(t)
	r := &jepsenRig{t: t, c: c, impl: impl}
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
	}
	for _, s := range r.ss {
		s.WaitSentinels(t, rigMaster, 2, 30*time.Second)
		s.WaitReplica(t, rigMaster, r.rproxy[1].Addr(), 30*time.Second)
	}
	front := cluster.MustFreePort(t)
	var cfg string
	if impl == cluster.Ours {
		cfg = cluster.OurHAProxyConfig(t, r.ss[agentSentinel], agentPort, front, sock)
	} else {
		cfg = cluster.TCPCheckRecipe(front, sock, r.rproxy[0].Addr(), r.rproxy[1].Addr())
	}
	cluster.StartHAProxy(t, c, "haproxy", cfg, front)
	r.front = "127.0.0.1:" + strconv.Itoa(front)
	return r
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
	in := make([]bool, len(r.ss))
	for _, k := range minority {
		in[k] = true
	}
	for k := range r.ss {
		for j := range r.ss {
			if in[k] != in[j] {
				r.sproxy[j].Set(r.ids[k], cluster.Cut)
			}
		}
		for i := range r.redis {
			if in[k] != (i == redisInMinority) {
				r.rproxy[i].Set(r.ids[k], cluster.Cut)
			}
		}
	}
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
	master := -1
	cluster.WaitFor(r.t, timeout, "sentinels and Redis to agree on one master", func() error {
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
	return master
}
