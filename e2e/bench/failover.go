package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Failover benchmark parameters (the brief's; not flags, so that every
// published number means the same thing).
const (
	foDownAfter       = 1000 * time.Millisecond
	foFailoverTimeout = 10 * time.Second
	foQuorum          = 2
	foSentinels       = 3
	foRunTimeout      = 60 * time.Second // kill to the last +switch-master
	foDiscovery       = 60 * time.Second // per wait while setting up
	foSettle          = 2 * time.Second  // after discovery, before the kill
	// After the last master switched somewhere, how long to keep
	// listening so that every sentinel's own +switch-master (the leader's,
	// and the others' from hello) and any duplicate are seen. Not timed.
	foGrace = 8 * time.Second
)

// failoverRun is one kill of every master of a fresh topology.
type failoverRun struct {
	ok       bool
	last     time.Duration // kill to the last master's first +switch-master
	median   time.Duration // median over masters of kill to first +switch-master
	odown    time.Duration // median over masters of kill to first +odown (diagnostic)
	missed   []string      // masters that never switched within the timeout
	oddities []string      // anything a correct sentinel should not do
	lastName string        // the master that switched last
	// Per sentinel (what a client subscribed to that one sees): kill to
	// the moment it had announced every master's +switch-master, sorted
	// (first, median, last sentinel); 0 for one that never did within
	// the grace period. spread is the largest gap over masters between
	// the first and the last sentinel announcing that master.
	perSentinel []time.Duration
	spread      time.Duration
	logDir      string // sentinel logs kept for a failed or odd run (or all, with -keep-logs)
}

// keepAllLogs (-keep-logs) keeps the sentinels' logs of every run.
var keepAllLogs bool

// benchTB is a Scope whose Fatalf ends the run (by panic, recovered in
// runFailover) instead of the program, so one broken run is reported as a
// failure and the remaining runs still happen. Failed is always false:
// the cluster would otherwise dump the tail of 100+ process logs to
// stderr; the sentinels' logs are saved to a directory instead.
type benchTB struct{ *cluster.Scope }

type runAbort struct{ msg string }

// abortMessage is the message of a recovered benchTB.Fatalf; any other
// panic goes on.
func abortMessage(r any) string {
	a, ok := r.(runAbort)
	if !ok {
		panic(r)
	}
	return a.msg
}

func (b benchTB) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.Logf("%s", msg)
	panic(runAbort{msg})
}

func (b benchTB) Skipf(format string, args ...any) {
	b.Fatalf("skipped: "+format, args...)
}

func (b benchTB) Failed() bool { return false }

// runFailover starts n masters with a replica each and three sentinels of
// impl monitoring all of them, kills every master at once (SIGKILL to all,
// then wait for them to die), and times each master's first
// +switch-master seen on any sentinel.
func runFailover(impl cluster.Impl, n, run int) (res failoverRun) {
	scope := cluster.NewScope(fmt.Sprintf("bench-failover-%s-%d-%d", impl, n, run))
	t := benchTB{scope}
	var sentinels []*cluster.Sentinel
	keepLogs := func() {
		dir, err := os.MkdirTemp("", fmt.Sprintf("qsentinel-bench-%s-%d-run%d-", impl, n, run))
		if err != nil {
			return
		}
		for _, s := range sentinels {
			os.WriteFile(filepath.Join(dir, s.Name+".log"), []byte(s.Logs()), 0o644)
			if b, err := os.ReadFile(s.ConfPath); err == nil {
				os.WriteFile(filepath.Join(dir, s.Name+".conf"), b, 0o644)
			}
		}
		res.logDir = dir
	}
	defer scope.Close()
	defer func() {
		if r := recover(); r != nil {
			res.ok = false
			res.oddities = append(res.oddities, "setup failed: "+abortMessage(r))
			keepLogs()
		}
	}()

	c := cluster.New(t)
	var masters, replicas []*cluster.Redis
	var mons []cluster.Monitor
	for k := range n {
		m := c.StartRedis(fmt.Sprintf("m%d", k))
		masters = append(masters, m)
		mons = append(mons, cluster.Monitor{Name: fmt.Sprintf("m%d", k), Redis: m, Quorum: foQuorum,
			DownAfter: foDownAfter, FailoverTimeout: foFailoverTimeout})
	}
	for k, m := range masters {
		replicas = append(replicas, c.StartReplica(fmt.Sprintf("r%d", k), m))
	}
	for _, r := range replicas {
		cluster.WaitReplicaSynced(t, r)
	}
	for k := range foSentinels {
		sentinels = append(sentinels, c.StartSentinel(impl, fmt.Sprintf("s%d", k), cluster.SentinelConfig{Monitors: mons}))
	}
	for _, s := range sentinels {
		for k, r := range replicas {
			s.WaitSentinels(t, mons[k].Name, foSentinels-1, foDiscovery)
			s.WaitReplica(t, mons[k].Name, r.Addr(), foDiscovery)
		}
	}
	var subs []*cluster.Subscription
	for _, s := range sentinels {
		subs = append(subs, cluster.Subscribe(t, s.Addr(),
			"+switch-master", "+odown", "-failover-abort-*", "+failover-end-for-timeout"))
	}
	// Let every sentinel settle into its steady ping rhythm.
	time.Sleep(foSettle)

	start := time.Now()
	for _, m := range masters {
		if err := m.Signal(syscall.SIGKILL); err != nil {
			t.Fatalf("kill %s: %v", m.Name, err)
		}
	}
	killed := time.Since(start)
	for _, m := range masters {
		select {
		case <-m.Exited():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s survived SIGKILL", m.Name)
		}
	}

	switched := func() map[string]time.Duration {
		first := map[string]time.Duration{}
		for _, sub := range subs {
			for _, msg := range sub.Messages() {
				if msg.Channel != "+switch-master" {
					continue
				}
				name, _, _ := strings.Cut(msg.Payload, " ")
				if d, seen := first[name]; !seen || msg.At.Sub(start) < d {
					first[name] = msg.At.Sub(start)
				}
			}
		}
		return first
	}
	first := switched()
	for len(first) < n && time.Since(start) < foRunTimeout {
		time.Sleep(20 * time.Millisecond)
		first = switched()
	}
	// Keep listening (untimed) until every sentinel reported every master,
	// then a little longer for duplicates.
	everyone := func() bool {
		for _, sub := range subs {
			got := map[string]bool{}
			for _, msg := range sub.Messages() {
				if msg.Channel == "+switch-master" {
					name, _, _ := strings.Cut(msg.Payload, " ")
					got[name] = true
				}
			}
			if len(got) < n {
				return false
			}
		}
		return true
	}
	graceEnd := time.Now().Add(foGrace)
	for !everyone() && time.Now().Before(graceEnd) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)

	res.oddities = append(res.oddities, inspect(sentinels, subs, masters, replicas, mons, start)...)
	if killed > 100*time.Millisecond {
		res.oddities = append(res.oddities, fmt.Sprintf("sending SIGKILL to %d masters took %v", n, killed.Round(time.Millisecond)))
	}
	var ds []time.Duration
	for _, m := range mons {
		d, ok := first[m.Name]
		if !ok {
			res.missed = append(res.missed, m.Name)
			continue
		}
		if d >= res.last {
			res.last, res.lastName = d, m.Name
		}
		ds = append(ds, d)
	}
	res.ok = len(res.missed) == 0
	if len(ds) > 0 {
		slices.Sort(ds)
		res.median = median(ds)
	}
	res.odown = odownMedian(subs, start)
	res.perSentinel, res.spread = perSentinel(subs, n, start)
	if !res.ok || len(res.oddities) > 0 || keepAllLogs {
		keepLogs()
	}
	return res
}

// inspect lists what a correct failover does not do: a sentinel that
// announces the same master's switch twice or to different addresses,
// promotes something other than the master's one replica, never reports
// a switch at all (within the grace period), or aborts/times out.
func inspect(sentinels []*cluster.Sentinel, subs []*cluster.Subscription, masters, replicas []*cluster.Redis, mons []cluster.Monitor, start time.Time) []string {
	var out []string
	want := map[string]string{} // master name -> "ip port" of its replica
	old := map[string]string{}
	for k, m := range mons {
		want[m.Name] = fmt.Sprintf("127.0.0.1 %d", replicas[k].Port)
		old[m.Name] = fmt.Sprintf("127.0.0.1 %d", masters[k].Port)
	}
	aborts := map[string]int{}
	for i, sub := range subs {
		s := sentinels[i].Name
		per := map[string][]cluster.Message{}
		for _, msg := range sub.Messages() {
			switch msg.Channel {
			case "+switch-master":
				name, _, _ := strings.Cut(msg.Payload, " ")
				per[name] = append(per[name], msg)
			case "+odown":
			default:
				aborts[msg.Channel]++
			}
		}
		var silent []string
		for _, m := range mons {
			msgs := per[m.Name]
			if len(msgs) == 0 {
				silent = append(silent, m.Name)
				continue
			}
			if len(msgs) > 1 {
				var at []string
				for _, msg := range msgs {
					at = append(at, fmt.Sprintf("%q at +%dms", msg.Payload, msg.At.Sub(start).Milliseconds()))
				}
				out = append(out, fmt.Sprintf("%s: %d +switch-master for %s: %s", s, len(msgs), m.Name, strings.Join(at, ", ")))
			}
			for _, msg := range msgs {
				f := strings.Fields(msg.Payload)
				if len(f) != 5 {
					out = append(out, fmt.Sprintf("%s: malformed +switch-master %q", s, msg.Payload))
					continue
				}
				if got := f[1] + " " + f[2]; got != old[m.Name] {
					out = append(out, fmt.Sprintf("%s: +switch-master %q: old address is not the killed master (%s)", s, msg.Payload, old[m.Name]))
				}
				if got := f[3] + " " + f[4]; got != want[m.Name] {
					out = append(out, fmt.Sprintf("%s: +switch-master %q: new address is not %s's replica (%s)", s, msg.Payload, m.Name, want[m.Name]))
				}
			}
		}
		if len(silent) > 0 {
			out = append(out, fmt.Sprintf("%s: no +switch-master within %v after the last switch for %d of %d masters (%s)",
				s, foGrace, len(silent), len(mons), abbrev(silent)))
		}
	}
	var keys []string
	for k := range aborts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%d x %s (all sentinels together)", aborts[k], k))
	}
	return out
}

func abbrev(names []string) string {
	if len(names) <= 5 {
		return strings.Join(names, " ")
	}
	return strings.Join(names[:5], " ") + " ..."
}

// perSentinel is, for each sentinel, kill to its announcement of the last
// master it announced (0 if it missed any), sorted with the misses last;
// and the largest spread between sentinels for one master.
func perSentinel(subs []*cluster.Subscription, n int, start time.Time) ([]time.Duration, time.Duration) {
	var done []time.Duration
	firstAt, lastAt := map[string]time.Duration{}, map[string]time.Duration{}
	for _, sub := range subs {
		seen := map[string]time.Duration{}
		for _, msg := range sub.Messages() {
			if msg.Channel != "+switch-master" {
				continue
			}
			name, _, _ := strings.Cut(msg.Payload, " ")
			if _, dup := seen[name]; !dup {
				seen[name] = msg.At.Sub(start)
			}
		}
		var all time.Duration
		for name, d := range seen {
			all = max(all, d)
			if f, ok := firstAt[name]; !ok || d < f {
				firstAt[name] = d
			}
			lastAt[name] = max(lastAt[name], d)
		}
		if len(seen) < n {
			all = 0
		}
		done = append(done, all)
	}
	slices.SortFunc(done, func(a, b time.Duration) int {
		switch {
		case a == b:
			return 0
		case a == 0:
			return 1
		case b == 0:
			return -1
		case a < b:
			return -1
		}
		return 1
	})
	var spread time.Duration
	for name, f := range firstAt {
		spread = max(spread, lastAt[name]-f)
	}
	return done, spread
}

// odownMedian is the median over masters of the time to the first +odown
// any sentinel announced for it: failure detection, without the election
// and the promotion.
func odownMedian(subs []*cluster.Subscription, start time.Time) time.Duration {
	first := map[string]time.Duration{}
	for _, sub := range subs {
		for _, msg := range sub.Messages() {
			if msg.Channel != "+odown" {
				continue
			}
			// "master <name> <ip> <port> #quorum 2/2"
			f := strings.Fields(msg.Payload)
			if len(f) < 2 || f[0] != "master" {
				continue
			}
			if d, seen := first[f[1]]; !seen || msg.At.Sub(start) < d {
				first[f[1]] = msg.At.Sub(start)
			}
		}
	}
	var ds []time.Duration
	for _, d := range first {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return median(ds)
}

// median of sorted ds (mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	switch len(ds) {
	case 0:
		return 0
	case 1:
		return ds[0]
	}
	if len(ds)%2 == 1 {
		return ds[len(ds)/2]
	}
	return (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
}

// failoverTable runs every (impl, size) runs times, a fresh cluster each
// time, and prints the medians over successful runs and the ratios as a
// Markdown table, followed by every failure and oddity seen.
func failoverTable(sizes []int, runs int, impls []cluster.Impl) error {
	type key struct {
		impl cluster.Impl
		n    int
	}
	results := map[key][]failoverRun{}
	var notes []string
	for _, n := range sizes {
		for _, impl := range impls {
			for run := 1; run <= runs; run++ {
				r := runFailover(impl, n, run)
				line := fmt.Sprintf("%s, %d masters, run %d:", impl, n, run)
				if r.ok {
					line += fmt.Sprintf(" all switched %d ms (last: %s), median master %d ms, median +odown %d ms",
						r.last.Milliseconds(), r.lastName, r.median.Milliseconds(), r.odown.Milliseconds())
				} else {
					line += " FAILED"
					if len(r.missed) > 0 {
						line += fmt.Sprintf(" (%d of %d masters never switched within %v: %s)", len(r.missed), n, foRunTimeout, abbrev(r.missed))
					}
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
		foQuorum, foDownAfter.Milliseconds(), foFailoverTimeout.Milliseconds(), runs, foRunTimeout)
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
		"over masters between the first and the last sentinel announcing the same master; median over successful runs "+
		"(\"never\": a sentinel had not announced every master %v after the last switch).\n\n", foSentinels, foGrace)
	fmt.Println("| masters | impl | first sentinel | median sentinel | last sentinel | largest gap for one master |")
	fmt.Println("|---:|---|---:|---:|---:|---:|")
	for _, n := range sizes {
		for _, impl := range impls {
			var cols [foSentinels][]time.Duration
			var gaps []time.Duration
			never := [foSentinels]int{}
			for _, r := range results[key{impl, n}] {
				if !r.ok {
					continue
				}
				for k := 0; k < foSentinels && k < len(r.perSentinel); k++ {
					if r.perSentinel[k] == 0 {
						never[k]++
						continue
					}
					cols[k] = append(cols[k], r.perSentinel[k])
				}
				gaps = append(gaps, r.spread)
			}
			cell := func(k int) string {
				if len(cols[k]) == 0 {
					if never[k] > 0 {
						return "never"
					}
					return "not run"
				}
				slices.Sort(cols[k])
				out := fmt.Sprintf("%d ms", median(cols[k]).Milliseconds())
				if never[k] > 0 {
					out += fmt.Sprintf(" (never in %d runs)", never[k])
				}
				return out
			}
			slices.Sort(gaps)
			fmt.Printf("| %d | %s | %s | %s | %s | %d ms |\n", n, impl, cell(0), cell(foSentinels/2), cell(foSentinels-1), median(gaps).Milliseconds())
		}
	}
	if len(notes) > 0 {
		fmt.Printf("\nFailures and oddities:\n\n")
		for _, n := range notes {
			fmt.Println("- " + n)
		}
	} else {
		fmt.Printf("\nNo failures and no oddities (no duplicate or wrong +switch-master, every sentinel announced every switch, no aborted failover).\n")
	}
	return nil
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
