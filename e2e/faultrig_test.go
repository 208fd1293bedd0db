package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// faultRig is a master, its replica and three sentinels where every link a
// sentinel uses goes through a fault proxy: the sentinels monitor the
// master at its proxy, the Redis servers announce their proxies as their
// replica address, and each sentinel announces its own proxy to its
// peers. Clients and replication talk to Redis directly, so a fault can cut
// a sentinel (or all of them) off without touching the data path.
type faultRig struct {
	c      *cluster.Cluster
	redis  [2]*cluster.Redis      // 0 started as master, 1 as its replica
	rproxy [2]*cluster.FaultProxy // in front of each Redis, for sentinels
	ss     []*cluster.Sentinel
	sproxy []*cluster.FaultProxy // in front of each sentinel, for peers
	ids    []string              // each sentinel's run id prefix (8 hex), its proxy tag

	mu     sync.Mutex
	events [][]*cluster.Subscription // per sentinel, one per (re)start

	// What the invariants remember between checks.
	epochOwner map[string]string // config epoch -> master address it named
	lastEpoch  []uint64          // per sentinel: highest current-epoch seen
	baseFDs    []int             // per sentinel (ours): open files after setup
	metrics    []string          // per sentinel (ours): its /metrics URL, "" for redis-sentinel
	baseGors   []int             // per sentinel (ours): goroutines after setup
}

const rigMaster = "mymaster"

// argsFor gives extra command-line options to the sentinel with index k
// (ours only), e.g. an agent-check listener.
type argsFor func(k int) []string

func newFaultRig(t *testing.T, impls []cluster.Impl, downAfter, failoverTimeout time.Duration, extra ...argsFor) *faultRig {
	t.Helper()
	c := cluster.New(t)
	r := &faultRig{c: c, epochOwner: map[string]string{}}
	// The master announces its proxy too: after a failover it is a replica
	// and the new master's INFO must list it at an address sentinels reach
	// through a proxy.
	r.rproxy[0] = c.StartProxy("127.0.0.1:1")
	r.rproxy[1] = c.StartProxy("127.0.0.1:1")
	r.redis[0] = c.StartRedis("redis0", "--replica-announce-ip", "127.0.0.1", "--replica-announce-port", strconv.Itoa(r.rproxy[0].Port()))
	r.rproxy[0].SetTarget(r.redis[0].Addr())
	r.redis[1] = c.StartReplica("redis1", r.redis[0], "--replica-announce-ip", "127.0.0.1", "--replica-announce-port", strconv.Itoa(r.rproxy[1].Port()))
	r.rproxy[1].SetTarget(r.redis[1].Addr())
	cluster.WaitReplicaSynced(t, r.redis[1])
	mon := []cluster.Monitor{{Name: rigMaster, Host: "127.0.0.1", Port: r.rproxy[0].Port(), Quorum: 2, DownAfter: downAfter, FailoverTimeout: failoverTimeout}}
	for k, impl := range impls {
		p := c.StartProxy("127.0.0.1:1")
		sc := cluster.SentinelConfig{
			Monitors: mon,
			Extra:    []string{"sentinel announce-ip 127.0.0.1", "sentinel announce-port " + strconv.Itoa(p.Port())},
		}
		url := ""
		if impl == cluster.Ours {
			// /metrics has go_goroutines: the goroutine leak check.
			mport := cluster.MustFreePort(t)
			sc.Args = []string{"--metrics", "127.0.0.1:" + strconv.Itoa(mport)}
			url = "http://127.0.0.1:" + strconv.Itoa(mport) + "/metrics"
			for _, f := range extra {
				sc.Args = append(sc.Args, f(k)...)
			}
		}
		r.metrics = append(r.metrics, url)
		s := c.StartSentinel(impl, fmt.Sprintf("sentinel%d-%s", k, impl), sc)
		p.SetTarget(s.Addr())
		r.ss = append(r.ss, s)
		r.sproxy = append(r.sproxy, p)
		id, err := s.MyID()
		if err != nil {
			t.Fatalf("%s: SENTINEL MYID: %v", s.Name, err)
		}
		r.ids = append(r.ids, id[:8])
		r.events = append(r.events, []*cluster.Subscription{cluster.Subscribe(t, s.Addr(), "*")})
		r.lastEpoch = append(r.lastEpoch, 0)
	}
	for _, s := range r.ss {
		s.WaitSentinels(t, rigMaster, len(r.ss)-1, 30*time.Second)
		s.WaitReplica(t, rigMaster, r.rproxy[1].Addr(), 30*time.Second)
	}
	for k, s := range r.ss {
		r.baseFDs = append(r.baseFDs, openFiles(s))
		r.baseGors = append(r.baseGors, r.goroutines(k))
	}
	return r
}

// goroutines reads sentinel k's go_goroutines from /metrics, -1 if
// unknown (redis-sentinel, or not answering).
func (r *faultRig) goroutines(k int) int {
	if r.metrics[k] == "" || !r.ss[k].Running() {
		return -1
	}
	// No keep-alive: an idle connection would be a goroutine of its own.
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := hc.Get(r.metrics[k])
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	v, ok := metricValue(string(b), "go_goroutines", "")
	if !ok {
		return -1
	}
	return int(v)
}

// openFiles counts a running sentinel's open descriptors, -1 if unknown.
func openFiles(s *cluster.Sentinel) int {
	if !s.Running() {
		return -1
	}
	es, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.Pid()))
	if err != nil {
		return -1
	}
	return len(es)
}

// split cuts every sentinel link between side a and everything else.
// redisInA says which Redis servers are on side a (by index).
func (r *faultRig) split(a []int, redisInA [2]bool) {
	cutSentinelLinks(r.sproxy, r.rproxy, r.ids, a, redisInA)
}

// cutSentinelLinks cuts every sentinel link between side a (sentinel
// indexes, and the Redis servers redisInA says) and the rest: sproxy
// fronts each sentinel for its peers, rproxy each Redis, ids are the
// sentinels' proxy tags.
func cutSentinelLinks(sproxy []*cluster.FaultProxy, rproxy [2]*cluster.FaultProxy, ids []string, a []int, redisInA [2]bool) {
	inA := make([]bool, len(sproxy))
	for _, k := range a {
		inA[k] = true
	}
	for k := range sproxy {
		for j := range sproxy {
			if inA[k] != inA[j] {
				sproxy[j].Set(ids[k], cluster.Cut)
			}
		}
		for i := range rproxy {
			if inA[k] != redisInA[i] {
				rproxy[i].Set(ids[k], cluster.Cut)
			}
		}
	}
}

// isolate cuts sentinel k off from every other sentinel and both Redis
// servers.
func (r *faultRig) isolate(k int) { r.split([]int{k}, [2]bool{}) }

// cutRedis cuts Redis server i off from every sentinel (not from clients).
func (r *faultRig) cutRedis(i int) { r.rproxy[i].Set("", cluster.Cut) }

func (r *faultRig) heal() {
	for _, p := range r.rproxy {
		p.Heal()
	}
	for _, p := range r.sproxy {
		p.Heal()
	}
}

// proxyIndex maps an address sentinels use to the Redis behind it.
func (r *faultRig) proxyIndex(addr string) int {
	for i, p := range r.rproxy {
		if p.Addr() == addr {
			return i
		}
	}
	return -1
}

// restartSentinel starts sentinel k again after a crash, with a fresh
// event subscription.
func (r *faultRig) restartSentinel(t *testing.T, k int) {
	t.Helper()
	if err := r.ss[k].Restart(); err != nil {
		t.Fatalf("restart %s: %v", r.ss[k].Name, err)
	}
	r.mu.Lock()
	r.events[k] = append(r.events[k], cluster.Subscribe(t, r.ss[k].Addr(), "*"))
	r.mu.Unlock()
}

// converge waits until every running sentinel names the same master at
// the same config epoch, that Redis says it is a master and the other one
// replicates from it. It returns the master's index.
func (r *faultRig) converge(t *testing.T, timeout time.Duration) int {
	t.Helper()
	master := -1
	cluster.WaitFor(t, timeout, "sentinels and Redis to agree on one master", func() error {
		addr, epoch := "", ""
		for _, s := range r.ss {
			if !s.Running() {
				continue
			}
			m, err := s.Master(rigMaster)
			if err != nil {
				return fmt.Errorf("%s: %v", s.Name, err)
			}
			a := m["ip"] + ":" + m["port"]
			if addr == "" {
				addr, epoch = a, m["config-epoch"]
			} else if a != addr || m["config-epoch"] != epoch {
				return fmt.Errorf("%s names %s at epoch %s, another %s at %s", s.Name, a, m["config-epoch"], addr, epoch)
			}
			if strings.Contains(m["flags"], "down") || strings.Contains(m["flags"], "failover") {
				return fmt.Errorf("%s: master flags %s", s.Name, m["flags"])
			}
		}
		i := r.proxyIndex(addr)
		if i < 0 {
			return fmt.Errorf("sentinels name %s, which is neither Redis", addr)
		}
		info, err := r.redis[i].Info("replication")
		if err != nil || info["role"] != "master" {
			return fmt.Errorf("%s (redis%d) is not a master: %v %v", addr, i, info["role"], err)
		}
		other, err := r.redis[1-i].Info("replication")
		if err != nil {
			return err
		}
		// Replication starts direct (redis1 configured as redis0's
		// replica); sentinels reconfigure it through the proxies.
		if mp := other["master_port"]; other["role"] != "slave" || (mp != strconv.Itoa(r.rproxy[i].Port()) && mp != strconv.Itoa(r.redis[i].Port)) {
			return fmt.Errorf("redis%d: role %s of port %s, want a replica of redis%d's proxy", 1-i, other["role"], other["master_port"], i)
		}
		master = i
		return nil
	})
	return master
}

// checkInvariants checks, after converge, what must hold whatever the
// faults were: one master per config epoch, epochs never going back (in
// the config files too), one vote per sentinel per epoch, whole config
// files, and no descriptor leak in our sentinels.
func (r *faultRig) checkInvariants(t *testing.T) {
	t.Helper()
	for k, s := range r.ss {
		if !s.Running() {
			continue
		}
		m, err := s.Master(rigMaster)
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		addr, epoch := m["ip"]+":"+m["port"], m["config-epoch"]
		if prev, ok := r.epochOwner[epoch]; ok && prev != addr {
			t.Errorf("config epoch %s names two masters: %s and %s (%s)", epoch, prev, addr, s.Name)
		}
		r.epochOwner[epoch] = addr
		conf, err := s.Conf()
		if err != nil {
			t.Errorf("%s: config file unreadable: %v", s.Name, err)
			continue
		}
		if len(conf.Find("sentinel", "monitor", rigMaster)) != 1 {
			t.Errorf("%s: config file lost its monitor line", s.Name)
		}
		if v, ok := conf.Get("sentinel", "current-epoch"); ok {
			e, _ := strconv.ParseUint(v, 10, 64)
			if e < r.lastEpoch[k] {
				t.Errorf("%s: current epoch went back from %d to %d", s.Name, r.lastEpoch[k], e)
			}
			r.lastEpoch[k] = e
		}
		if s.Impl == cluster.Ours && r.baseFDs[k] > 0 {
			// A sentinel holds a few links per instance and peer; a leak
			// grows with every round.
			if n := openFiles(s); n > r.baseFDs[k]+16 {
				t.Errorf("%s: %d open files, %d after setup", s.Name, n, r.baseFDs[k])
			}
		}
		if base := r.baseGors[k]; base > 0 {
			// Links closing after the round may take a moment to stop.
			limit := base + 16
			n := r.goroutines(k)
			for deadline := time.Now().Add(5 * time.Second); (n < 0 || n > limit) && time.Now().Before(deadline); {
				time.Sleep(200 * time.Millisecond)
				n = r.goroutines(k)
			}
			if n < 0 || n > limit {
				t.Errorf("%s: %d goroutines, %d after setup", s.Name, n, base)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.ss {
		votes := map[string]string{}
		for _, sub := range r.events[k] {
			for _, m := range sub.Messages() {
				if m.Channel != "+vote-for-leader" {
					continue
				}
				f := strings.Fields(m.Payload)
				if len(f) != 2 {
					continue
				}
				if prev, ok := votes[f[1]]; ok && prev != f[0] {
					t.Errorf("%s voted twice in epoch %s: for %s and %s", r.ss[k].Name, f[1], prev, f[0])
				}
				votes[f[1]] = f[0]
			}
		}
	}
}

// count counts the events on channel that sentinel k published (over
// all its restarts).
func (r *faultRig) count(k int, channel string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, sub := range r.events[k] {
		for _, m := range sub.Messages() {
			if m.Channel == channel {
				n++
			}
		}
	}
	return n
}

// switched counts +switch-master events published by sentinel k.
func (r *faultRig) switched(k int) int { return r.count(k, "+switch-master") }

// tried counts the failovers sentinel k started (+try-failover).
func (r *faultRig) tried(k int) int { return r.count(k, "+try-failover") }

// waitSwitch waits for a +switch-master from each of the sentinels ks
// (on their first subscription).
func (r *faultRig) waitSwitch(t *testing.T, timeout time.Duration, ks ...int) {
	t.Helper()
	for _, k := range ks {
		if _, err := r.events[k][len(r.events[k])-1].WaitChannel(timeout, "+switch-master", rigMaster); err != nil {
			t.Fatalf("%s: no +switch-master: %v", r.ss[k].Name, err)
		}
	}
}

// waitFirst returns the first sentinel whose events show channel (about
// the rig's master), polling every few milliseconds so that a test can act
// on that sentinel right after it took the step.
func (r *faultRig) waitFirst(t *testing.T, channel string, timeout time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for k := range r.ss {
			for _, m := range r.events[k][len(r.events[k])-1].Messages() {
				if m.Channel == channel && strings.Contains(m.Payload, rigMaster) {
					return k
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no sentinel announced %s within %v", channel, timeout)
	return -1
}

// all lists every sentinel index.
func (r *faultRig) all() []int {
	ks := make([]int, len(r.ss))
	for k := range ks {
		ks[k] = k
	}
	return ks
}

// expectNoFailover fails the test if any sentinel started a failover.
func (r *faultRig) expectNoFailover(t *testing.T, why string) {
	t.Helper()
	for k := range r.ss {
		if n := r.tried(k); n != 0 {
			t.Errorf("%s started %d failovers %s", r.ss[k].Name, n, why)
		}
	}
}

// healAndExpect heals every fault and checks that the group converges on
// Redis want and keeps every invariant.
func (r *faultRig) healAndExpect(t *testing.T, want int, timeout time.Duration) {
	t.Helper()
	r.heal()
	if got := r.converge(t, timeout); got != want {
		t.Errorf("master is redis%d, want redis%d", got, want)
	}
	r.checkInvariants(t)
}
