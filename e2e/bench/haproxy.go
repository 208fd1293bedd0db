package main

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// What a client behind HAProxy sees (issue 19 item 3), at each size: a
// writer per master through its own frontend, opening a fresh connection
// every five writes. Two scenarios:
//   - crash: every master SIGKILLed at once and restarted empty 4 s later
//     (a machine dying and rebooting); redis-sentinel is paired with the
//     usual tcp-check role:master recipe, ours with its agent-check and
//     runtime-API push.
//   - switchover: a planned failover of every master (ours: SENTINEL
//     FAILOVER <name> COORDINATED; redis-sentinel 7.0 has no COORDINATED,
//     so its plain SENTINEL FAILOVER, the planned switchover it offers).
//
// A writer's outage is its longest stretch without an acknowledged write
// from the fault on; a write is lost when it was acknowledged and the
// master at the end lacks it.

// haproxyResult is one scenario run of one implementation at one size.
type haproxyResult struct {
	outages     []time.Duration // one per master
	lost, acked int
	behind      int // masters not switched in time
	err         error
}

// A scenario's run returns how many masters it left behind (not
// switched within a minute: redis-sentinel's stalls are a result, not a
// failed run).
type haproxyScenario struct {
	name  string
	label map[cluster.Impl]string
	run   func(t benchTB, r *cluster.HAProxyRig) (behind int, err error)
}

var haproxyScenarios = []haproxyScenario{
	{"crash", map[cluster.Impl]string{
		cluster.Real: "redis-sentinel + tcp-check role:master",
		cluster.Ours: "ours + agent-check",
	}, crashAll},
	{"switchover", map[cluster.Impl]string{
		cluster.Real: "redis-sentinel SENTINEL FAILOVER + tcp-check",
		cluster.Ours: "ours SENTINEL FAILOVER COORDINATED + agent-check",
	}, switchoverAll},
}

// haproxyOutage runs the scenarios named in only (all when empty) for
// impls at each size.
func haproxyOutage(sizes []int, runs int, impls []cluster.Impl, only []string) error {
	for _, sc := range haproxyScenarios {
		if len(only) > 0 && !slices.Contains(only, sc.name) {
			continue
		}
		type key struct {
			impl cluster.Impl
			n    int
		}
		res := map[key]*haproxyResult{}
		failed := map[key]int{}
		for _, n := range sizes {
			for run := range runs {
				for _, impl := range impls {
					k := key{impl, n}
					r := haproxyRun(sc, impl, n, run)
					if r.err != nil {
						failed[k]++
						fmt.Fprintf(os.Stderr, "haproxy %s %s %d masters run %d: %v\n", sc.name, impl, n, run, r.err)
						continue
					}
					slices.Sort(r.outages)
					fmt.Fprintf(os.Stderr, "haproxy %s %s %d masters run %d: outage median %v max %v, lost %d of %d\n",
						sc.name, impl, n, run, pct(r.outages, 50), pct(r.outages, 100), r.lost, r.acked)
					if res[k] == nil {
						res[k] = &haproxyResult{}
					}
					res[k].outages = append(res[k].outages, r.outages...)
					res[k].lost += r.lost
					res[k].acked += r.acked
					res[k].behind += r.behind
				}
			}
		}
		if sc.name == "crash" {
			fmt.Printf("\n### Client outage through HAProxy: every master SIGKILLed at once, restarted empty 4 s later (down-after 1000 ms), %d run(s) per size\n\n", runs)
		} else {
			fmt.Printf("\n### Planned switchover of every master through HAProxy, %d run(s) per size\n\n", runs)
		}
		fmt.Println("| masters | | median write outage over masters | slowest master | acknowledged writes lost | masters not switched after 60 s | failed runs |")
		fmt.Println("|---:|---|---:|---:|---:|---:|---:|")
		for _, n := range sizes {
			var med [2]time.Duration
			for i, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
				if !slices.Contains(impls, impl) {
					continue
				}
				r := res[key{impl, n}]
				if r == nil {
					fmt.Printf("| %d | %s | - | - | - | - | %d |\n", n, sc.label[impl], failed[key{impl, n}])
					continue
				}
				slices.Sort(r.outages)
				med[i] = pct(r.outages, 50)
				fmt.Printf("| %d | %s | %v | %v | %d of %d | %d | %d |\n", n, sc.label[impl], med[i], pct(r.outages, 100),
					r.lost, r.acked, r.behind, failed[key{impl, n}])
			}
			if len(impls) == 2 {
				fmt.Printf("| %d | ratio ours/redis-sentinel | %s | | | | |\n", n, ratio(med[1], med[0]))
			}
		}
	}
	return nil
}

// pct is the p-th percentile of sorted ds (100: the largest), rounded.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, len(ds)*p/100)].Round(time.Millisecond)
}

func haproxyRun(sc haproxyScenario, impl cluster.Impl, n, run int) (res haproxyResult) {
	scope := cluster.NewScope(fmt.Sprintf("bench-haproxy-%s-%s-%d-%d", sc.name, impl, n, run))
	defer scope.Close()
	defer func() {
		if r := recover(); r != nil {
			res.err = fmt.Errorf("%s", abortMessage(r))
		}
	}()
	t := benchTB{scope}
	rig := cluster.NewHAProxyRigN(t, impl, n)
	writers := make([]*cluster.Writer, n)
	stops := make([]func(), n)
	for k := range n {
		writers[k], stops[k] = rig.StartWriterAt(t, k)
	}
	time.Sleep(time.Second)
	from := time.Now()
	behind, err := sc.run(t, rig)
	if err != nil {
		res.err = err
		return res
	}
	res.behind = behind
	time.Sleep(2 * time.Second)
	var wg sync.WaitGroup
	for _, stop := range stops {
		wg.Add(1)
		go func() { defer wg.Done(); stop() }()
	}
	wg.Wait()
	end := time.Now()
	for k, w := range writers {
		// A writer whose master never came back is out until the end.
		last := w.LastAck()
		if last.Before(from) {
			last = from
		}
		res.outages = append(res.outages, max(w.Outage(from), end.Sub(last)))
		// The master at the end is the replica in both scenarios.
		lost, acked, err := w.Lost(rig.Replicas[k].Addr())
		if err != nil {
			res.err = err
			return res
		}
		res.lost += lost
		res.acked += acked
	}
	return res
}

// crashAll kills every master at once, restarts each empty 4 s later and
// waits until every one of them is a replica again.
func crashAll(_ benchTB, r *cluster.HAProxyRig) (int, error) {
	for _, m := range r.Masters {
		m.Kill()
	}
	time.Sleep(4 * time.Second)
	for _, m := range r.Masters {
		if err := m.Restart(); err != nil { // empty: no persistence
			return 0, err
		}
	}
	return waitRoles(r.Masters, "slave"), nil
}

// switchoverAll asks one sentinel for a failover of every master at once
// and waits until every replica reports role:master.
func switchoverAll(_ benchTB, r *cluster.HAProxyRig) (int, error) {
	s := r.Sentinels[0]
	for _, name := range r.Names {
		args := []string{"SENTINEL", "FAILOVER", name}
		if s.Impl == cluster.Ours {
			args = append(args, "COORDINATED")
		}
		if v, err := s.Do(args...); err != nil || v.Text() != "OK" {
			return 0, fmt.Errorf("%v on %s: %v %v", args, s.Name, v, err)
		}
	}
	return waitRoles(r.Replicas, "master"), nil
}

// waitRoles waits up to a minute until every server reports role and
// returns how many did not.
func waitRoles(servers []*cluster.Redis, role string) int {
	deadline := time.Now().Add(time.Minute)
	for {
		behind := 0
		for _, s := range servers {
			if info, err := s.Info("replication"); err != nil || info["role"] != role {
				behind++
			}
		}
		if behind == 0 || time.Now().After(deadline) {
			return behind
		}
		time.Sleep(100 * time.Millisecond)
	}
}
