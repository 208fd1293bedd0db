package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// failoverTable runs every (impl, size) runs times, a fresh cluster each
// time, and prints the medians over successful runs and the ratios as a
// Markdown table, followed by every failure and oddity seen.
func failoverTable(sizes []int, runs int, impls []cluster.Impl, p foParams) error {
	type key struct {
		impl cluster.Impl
		n    int
	}
	results := map[key][]failoverRun{}
	var notes []string
	for _, n := range sizes {
		for _, impl := range impls {
			for run := 1; run <= runs; run++ {
				r := runFailover(impl, n, run, p)
				line := fmt.Sprintf("%s, %d masters, run %d:", impl, n, run)
				if r.ok {
					line += fmt.Sprintf(" all switched %d ms (last: %s), median master %d ms, median +odown %d ms",
						r.last.Milliseconds(), r.lastName, r.median.Milliseconds(), r.odown.Milliseconds())
				} else {
					line += " FAILED"
					if len(r.missed) > 0 {
						line += fmt.Sprintf(" (%d of %d masters switched after %v; left behind: %s)", r.switched, n-r.moved, p.runTimeout, abbrev(r.missed))
					}
					if r.moved > 0 {
						line += fmt.Sprintf(" (%d masters failed over during the set-up)", r.moved)
						if len(r.missed) == 0 && r.switched > 0 {
							line += fmt.Sprintf("; the %d the kill reached all switched in %d ms (last: %s), median master %d ms, median +odown %d ms",
								r.switched, r.last.Milliseconds(), r.lastName, r.median.Milliseconds(), r.odown.Milliseconds())
						}
					}
				}
				line += fmt.Sprintf("; +try-failover %d, +elected-leader %d, aborts %d, longest stall %d ms; load average at the kill %s",
					r.tries, r.elected, r.aborts, r.stall.Milliseconds(), r.load)
				if r.busy > 0 {
					line += fmt.Sprintf("; machine CPU busy %.0f%% from the kill to the last switch (steal %.0f%%, CPU time accounted for %.0f%% of the wall clock), the three sentinels %.0f%% of one CPU", r.busy, r.steal, r.accounted, r.sentinelCPU)
				}
				if r.opensOK {
					line += fmt.Sprintf("; TCP connects on the machine %d from the sentinels' start to the kill, %d (%d failed) from the kill to the last switch", r.setupOpens, r.runOpens, r.runFails)
				}
				fmt.Fprintln(os.Stderr, line)
				for _, o := range r.oddities {
					fmt.Fprintln(os.Stderr, "    "+o)
				}
				if r.logDir != "" {
					fmt.Fprintln(os.Stderr, "    sentinel logs kept in "+r.logDir)
				}
				if !r.ok || len(r.oddities) > 0 {
					note := line
					if len(r.oddities) > 0 {
						note += "\n  - " + strings.Join(r.oddities, "\n  - ")
					}
					if r.logDir != "" {
						note += "\n  - sentinel logs: " + r.logDir
					}
					notes = append(notes, note)
				}
				results[key{impl, n}] = append(results[key{impl, n}], r)
			}
		}
	}

	fmt.Printf("\n### Failover: SIGKILL every master at once, time to +switch-master\n\n")
	fmt.Printf("3 sentinels, quorum %d, down-after-milliseconds %d, failover-timeout %d, one replica per master; "+
		"median of %d runs (a fresh cluster each run; failed runs, i.e. a master not switched within %v, are counted apart).\n\n",
		foQuorum, p.downAfter.Milliseconds(), foFailoverTimeout.Milliseconds(), runs, p.runTimeout)
	fmt.Println("| masters | redis-sentinel: last master switched | ours: last master switched | ratio ours/redis | redis-sentinel: median master | ours: median master | ratio ours/redis | failed runs (redis / ours) |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range sizes {
		med := func(impl cluster.Impl, f func(failoverRun) time.Duration) (time.Duration, int) {
			var ds []time.Duration
			failed := 0
			for _, r := range results[key{impl, n}] {
				if !r.ok {
					failed++
					continue
				}
				ds = append(ds, f(r))
			}
			slices.Sort(ds)
			return median(ds), failed
		}
		last := func(r failoverRun) time.Duration { return r.last }
		mid := func(r failoverRun) time.Duration { return r.median }
		rl, rf := med(cluster.Real, last)
		ol, of := med(cluster.Ours, last)
		rm, _ := med(cluster.Real, mid)
		om, _ := med(cluster.Ours, mid)
		fmt.Printf("| %d | %s | %s | %s | %s | %s | %s | %d / %d |\n", n,
			ms(rl, rf, runs), ms(ol, of, runs), ratio(ol, rl), ms(rm, rf, runs), ms(om, of, runs), ratio(om, rm), rf, of)
	}
	fmt.Printf("\n### What a client subscribed to one sentinel sees: kill to that sentinel's last +switch-master\n\n")
	fmt.Printf("Each sentinel's time to have announced every master (first, median and last of the %d sentinels), and the largest gap "+
		"over masters between the first and the last sentinel announcing the same master; median over runs "+
		"(\"never\": a sentinel had not announced every master %v after the last switch, or within %v of the kill). "+
		"Switched: masters switched on some sentinel in the worst run. Attempts: +try-failover / +elected-leader over all sentinels; "+
		"aborts: -failover-abort-* and +failover-end-for-timeout; stall: the longest time between two masters' first "+
		"+switch-master (medians over runs). Up to %d masters real redis-servers, above fake hosts (%d instances per process).\n\n",
		foSentinels, foGrace, p.runTimeout, p.realMax, p.fakeHost)
	fmt.Println("| masters | impl | switched | first sentinel | median sentinel | last sentinel | largest gap for one master | attempts / elected | aborts | longest stall |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range sizes {
		for _, impl := range impls {
			rs := results[key{impl, n}]
			if len(rs) == 0 {
				continue
			}
			var cols [foSentinels][]time.Duration
			var gaps, stalls []time.Duration
			var tries, elected, aborts []int
			never := [foSentinels]int{}
			worst := rs[0]
			for _, r := range rs {
				if r.switched < worst.switched {
					worst = r
				}
				tries, elected, aborts = append(tries, r.tries), append(elected, r.elected), append(aborts, r.aborts)
				stalls = append(stalls, r.stall)
				for k := 0; k < foSentinels; k++ {
					if k >= len(r.perSentinel) || r.perSentinel[k] == 0 {
						never[k]++
						continue
					}
					cols[k] = append(cols[k], r.perSentinel[k])
				}
				gaps = append(gaps, r.spread)
			}
			cell := func(k int) string {
				if len(cols[k]) == 0 {
					return "never"
				}
				slices.Sort(cols[k])
				out := fmt.Sprintf("%d ms", median(cols[k]).Milliseconds())
				if never[k] > 0 {
					out += fmt.Sprintf(" (never in %d runs)", never[k])
				}
				return out
			}
			sw := fmt.Sprintf("%d / %d", worst.switched, n)
			switch {
			case worst.runTimeout == 0:
				sw = "setup failed"
			case worst.switched < n:
				sw += fmt.Sprintf(" after %v", worst.runTimeout)
			}
			slices.Sort(gaps)
			slices.Sort(stalls)
			fmt.Printf("| %d | %s | %s | %s | %s | %s | %d ms | %d / %d | %d | %d ms |\n", n, impl, sw, cell(0), cell(foSentinels/2), cell(foSentinels-1),
				median(gaps).Milliseconds(), medianInt(tries), medianInt(elected), medianInt(aborts), median(stalls).Milliseconds())
		}
	}
	if len(notes) > 0 {
		fmt.Printf("\nFailures and oddities:\n\n")
		for _, n := range notes {
			fmt.Println("- " + n)
		}
	} else {
		fmt.Printf("\nNo failures and no oddities (no duplicate or wrong +switch-master, every sentinel announced every switch, no aborted failover, no peer seen down, no new master declared objectively down).\n")
	}
	return nil
}

// medianInt is the median of xs (the lower middle for an even count).
func medianInt(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[(len(xs)-1)/2]
}

func ms(d time.Duration, failed, runs int) string {
	if d == 0 && failed == 0 {
		return "not run"
	}
	if failed == runs {
		return "failed"
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", float64(a)/float64(b))
}
