package main

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// haproxyOutage runs the seed setup's crash through HAProxy runs times per
// implementation (cluster.CrashScenario): a writer opening a fresh
// connection every five writes, the master SIGKILLed and restarted empty
// four seconds later. redis-sentinel is paired with the usual tcp-check
// role:master recipe, ours with its agent-check and runtime-API push.
func haproxyOutage(runs int) error {
	type result struct {
		outages     []time.Duration
		lost, acked int
		failed      int
	}
	var res [2]result
	for i, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		for run := range runs {
			outage, lost, acked, err := crashRun(impl, run)
			if err != nil {
				res[i].failed++
				fmt.Fprintf(os.Stderr, "haproxy %s run %d: %v\n", impl, run, err)
				continue
			}
			fmt.Fprintf(os.Stderr, "haproxy %s run %d: outage %v, lost %d of %d\n", impl, run, outage.Round(time.Millisecond), lost, acked)
			res[i].outages = append(res[i].outages, outage)
			res[i].lost += lost
			res[i].acked += acked
		}
	}
	fmt.Printf("\n### Client outage through HAProxy: master SIGKILLed, restarted empty 4 s later (down-after 1000 ms), %d runs each\n\n", runs)
	fmt.Println("| | median write outage | acknowledged writes lost (all runs) | failed runs |")
	fmt.Println("|---|---:|---:|---:|")
	names := []string{"redis-sentinel + tcp-check role:master", "ours + agent-check"}
	var med [2]time.Duration
	for i, r := range res {
		if len(r.outages) > 0 {
			slices.Sort(r.outages)
			med[i] = r.outages[len(r.outages)/2]
		}
		fmt.Printf("| %s | %v | %d of %d | %d |\n", names[i], med[i].Round(time.Millisecond), r.lost, r.acked, r.failed)
	}
	fmt.Printf("| ratio ours/redis-sentinel | %s | | |\n", ratio(med[1], med[0]))
	return nil
}

func crashRun(impl cluster.Impl, run int) (outage time.Duration, lost, acked int, err error) {
	scope := cluster.NewScope(fmt.Sprintf("bench-haproxy-%s-%d", impl, run))
	defer scope.Close()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s", abortMessage(r))
		}
	}()
	outage, lost, acked = cluster.CrashScenario(benchTB{scope}, impl)
	return outage, lost, acked, nil
}
