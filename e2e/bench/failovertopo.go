package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// foTopology is N masters with one replica each, as a failover run sees
// them: what the sentinels monitor, which address each master has and
// which its replica, how to kill every master at once, and how to wait
// until the sentinels have discovered everything.
type foTopology struct {
	mons      []cluster.Monitor
	old, want map[string]string // master name -> "ip port" of the master, of its replica
	kill      func()            // returns once every master is dead (or stopped)
	discover  func(sentinels []*cluster.Sentinel)
}

// realTopology starts n real redis-server masters with one synced
// replica each.
func realTopology(t benchTB, c *cluster.Cluster, n int, downAfter time.Duration) foTopology {
	var masters, replicas []*cluster.Redis
	top := foTopology{old: map[string]string{}, want: map[string]string{}}
	for k := range n {
		m := c.StartRedis(fmt.Sprintf("m%d", k))
		masters = append(masters, m)
		top.mons = append(top.mons, cluster.Monitor{Name: fmt.Sprintf("m%d", k), Redis: m, Quorum: foQuorum,
			DownAfter: downAfter, FailoverTimeout: foFailoverTimeout})
	}
	for k, m := range masters {
		replicas = append(replicas, c.StartReplica(fmt.Sprintf("r%d", k), m))
	}
	for _, r := range replicas {
		cluster.WaitReplicaSynced(t, r)
	}
	for k, m := range top.mons {
		top.old[m.Name] = fmt.Sprintf("127.0.0.1 %d", masters[k].Port)
		top.want[m.Name] = fmt.Sprintf("127.0.0.1 %d", replicas[k].Port)
	}
	top.kill = func() {
		for _, m := range masters {
			if err := m.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill %s: %v", m.Name, err)
			}
		}
		for _, m := range masters {
			select {
			case <-m.Exited():
			case <-time.After(10 * time.Second):
				t.Fatalf("%s survived SIGKILL", m.Name)
			}
		}
	}
	top.discover = func(sentinels []*cluster.Sentinel) {
		for _, s := range sentinels {
			for k, r := range replicas {
				s.WaitSentinels(t, top.mons[k].Name, foSentinels-1, foDiscovery)
				s.WaitReplica(t, top.mons[k].Name, r.Addr(), foDiscovery)
			}
		}
	}
	return top
}

// fakeTopology serves n fake masters from one set of fake hosts (helper
// processes, chunk instances each) and their replicas from another;
// kill sends sig to every master host at once: SIGKILL is machines that
// went away (their connections reset), SIGSTOP machines that stopped
// answering (connections stay open, nothing comes back).
func fakeTopology(t benchTB, n, chunk int, sig syscall.Signal, downAfter time.Duration) foTopology {
	masters, err := startFakeFleet(n, chunk, false)
	if err != nil {
		t.Fatalf("fake masters: %v", err)
	}
	t.Cleanup(masters.stop)
	replicas, err := startFakeFleet(n, chunk, true)
	if err != nil {
		t.Fatalf("fake replicas: %v", err)
	}
	t.Cleanup(replicas.stop)
	if err := masters.setPeers(replicas.ports); err != nil {
		t.Fatalf("fake masters: %v", err)
	}
	if err := replicas.setPeers(masters.ports); err != nil {
		t.Fatalf("fake replicas: %v", err)
	}
	top := foTopology{old: map[string]string{}, want: map[string]string{}}
	for k := range n {
		name := fmt.Sprintf("m%d", k)
		top.mons = append(top.mons, cluster.Monitor{Name: name, Host: "127.0.0.1", Port: masters.ports[k], Quorum: foQuorum,
			DownAfter: downAfter, FailoverTimeout: foFailoverTimeout})
		top.old[name] = fmt.Sprintf("127.0.0.1 %d", masters.ports[k])
		top.want[name] = fmt.Sprintf("127.0.0.1 %d", replicas.ports[k])
	}
	top.kill = func() {
		if err := masters.signal(sig); err != nil {
			t.Fatalf("signal the fake master hosts: %v", err)
		}
		if sig == syscall.SIGKILL {
			for _, p := range masters.procs {
				p.Wait() // the hosts are gone: every master's sockets closed
			}
		}
	}
	top.discover = func(sentinels []*cluster.Sentinel) {
		var ports []int
		for _, s := range sentinels {
			ports = append(ports, s.Port)
		}
		// SENTINEL MASTERS on one connection per sentinel: a check per
		// master would open tens of thousands of connections.
		if err := waitDiscovered(ports, n, 1, 10*foDiscovery); err != nil {
			t.Fatalf("discovery: %v", err)
		}
	}
	return top
}
