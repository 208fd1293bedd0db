package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Failover benchmark parameters (the brief's; not flags, so that every
// published number means the same thing).
const (
	foDownAfter       = 1000 * time.Millisecond // unless -down-after
	foFailoverTimeout = 10 * time.Second
	foQuorum          = 2
	foSentinels       = 3
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
	switched    int    // masters switched within runTimeout
	moved       int    // masters that failed over during the set-up (left out of the times)
	runTimeout  time.Duration
	// stall is the longest time between two masters' first
	// +switch-master (in the order they switched): the failover path
	// standing still while masters are left to switch.
	stall                  time.Duration
	tries, elected, aborts int    // +try-failover, +elected-leader, aborts and timeouts (all sentinels)
	load                   string // the machine's load average at the kill (/proc/loadavg)
	// busy is how much of the machine's CPU time went to work from the
	// kill to the last switch (or the run timeout), in per cent: at 100
	// the sentinels wait for the CPU, not for each other.
	busy float64
	// steal is the part of the machine's CPU time the hypervisor gave to
	// others over the same span, and accounted the machine's CPU time
	// against what its CPUs had by the wall clock, in per cent: a virtual
	// machine paused or starved shows there, not in busy.
	steal, accounted float64
	// sentinelCPU is the CPU the sentinels used over the same span, in
	// per cent of one CPU, summed over the three.
	sentinelCPU float64
	// setupOpens and runOpens are the machine's TCP connects (active
	// opens, /proc/net/snmp) from the sentinels' start to the kill and
	// from the kill to the last switch; runFails the failed ones of the
	// latter (refused by a dead master, as a rule). A link dropped and
	// dialled again shows here; under load that multiplies.
	setupOpens, runOpens, runFails uint64
	opensOK                        bool
}

// tcpOpens is the machine's TCP active opens and failed attempts so far
// (/proc/net/snmp); ok is false where there is none.
func tcpOpens() (opens, fails uint64, ok bool) {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return 0, 0, false
	}
	var head []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Tcp:" {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		var gotO, gotF bool
		for k := 1; k < len(f) && k < len(head); k++ {
			n, err := strconv.ParseUint(f[k], 10, 64)
			if err != nil {
				continue
			}
			switch head[k] {
			case "ActiveOpens":
				opens, gotO = n, true
			case "AttemptFails":
				fails, gotF = n, true
			}
		}
		return opens, fails, gotO && gotF
	}
	return 0, 0, false
}

// cpuStat is the machine's busy, total and stolen CPU time so far
// (/proc/stat, all CPUs; busy counts the stolen); ok is false where there
// is none.
func cpuStat() (busy, total, steal uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, 0, false
	}
	for k, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, 0, false
		}
		total += n
		if k != 3 && k != 4 { // idle, iowait
			busy += n
		}
		if k == 7 {
			steal = n
		}
	}
	return busy, total, steal, true
}

// loadAvg is the first three fields of /proc/loadavg: a run on a machine
// busy with other work is slower for reasons of its own.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// keepAllLogs (-keep-logs) keeps the sentinels' logs of every run.
var keepAllLogs bool

// sentinelLogDir (-sentinel-logs), when set, is where every sentinel
// writes its whole log (logfile), named impl-masters-sN.log.
var sentinelLogDir string

// sentinelLogLevel (-sentinel-loglevel), when set, is every sentinel's
// loglevel; ours logs at verbose what each +sdown rested on.
var sentinelLogLevel string

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

// foParams are the failover benchmark's knobs that are flags.
type foParams struct {
	realMax    int            // largest size run with real redis-servers; larger sizes use fake hosts
	runTimeout time.Duration  // kill to the last +switch-master, at most
	fakeSignal syscall.Signal // what the fake master hosts get: SIGKILL or SIGSTOP
	downAfter  time.Duration  // down-after-milliseconds
	// fakeHost is how many fake instances one fake host process serves
	// (one event loop). A fake host stands for Redis machines that have
	// their own CPUs; here it shares the sentinels' and, saturated,
	// answers hundreds of milliseconds late (BENCH_FAKE_SLOW).
	fakeHost int
}

// runFailover starts n masters with a replica each and three sentinels of
// impl monitoring all of them, kills every master at once (SIGKILL to all,
// then wait for them to die), and times each master's first
// +switch-master seen on any sentinel.
func runFailover(impl cluster.Impl, n, run int, p foParams) (res failoverRun) {
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
	// redis-sentinel saves (and fsyncs) its config for every replica and
	// peer it discovers, and answers nothing meanwhile: at 200 masters
	// that can be longer than the harness's 10 s, at 1,000 minutes.
	c.ReadyTimeout = 10 * time.Minute
	var top foTopology
	if n <= p.realMax {
		top = realTopology(t, c, n, p.downAfter)
	} else {
		top = fakeTopology(t, n, p.fakeHost, p.fakeSignal, p.downAfter)
	}
	opens0, _, opensOK := tcpOpens()
	sentinels = startSentinels(t, c, impl, top.mons)
	top.discover(sentinels)
	var subs []*cluster.Subscription
	for _, s := range sentinels {
		subs = append(subs, cluster.Subscribe(t, s.Addr(),
			"+switch-master", "+odown", "+sdown", "+try-failover", "+elected-leader", "-failover-abort-*", "+failover-end-for-timeout"))
	}
	// Let every sentinel settle into its steady ping rhythm.
	time.Sleep(foSettle)

	// A master that failed over during the set-up has its master on a
	// host the kill does not touch: it is reported (the run fails), and
	// left out of what the kill is timed by.
	moved, movedNote := movedBeforeKill(sentinels, top)
	if movedNote != "" {
		res.oddities = append(res.oddities, movedNote)
	}
	res.moved = len(moved)
	wasMoved := make(map[string]bool, len(moved))
	for _, name := range moved {
		wasMoved[name] = true
	}
	res.load = loadAvg()
	busy0, total0, steal0, cpuOK := cpuStat()
	sent0 := sentinelTicks(sentinels)
	opens1, fails1, ok1 := tcpOpens()
	start := time.Now()
	top.kill()
	killed := time.Since(start)

	switched := func() map[string]time.Duration {
		first := map[string]time.Duration{}
		for _, sub := range subs {
			for _, msg := range sub.Messages() {
				if msg.Channel != "+switch-master" {
					continue
				}
				name, _, _ := strings.Cut(msg.Payload, " ")
				if msg.At.Before(start) || wasMoved[name] {
					continue // the set-up's, not the kill's
				}
				if d, seen := first[name]; !seen || msg.At.Sub(start) < d {
					first[name] = msg.At.Sub(start)
				}
			}
		}
		return first
	}
	// Looking costs a copy of every message so far: less often at
	// thousands of masters, so that the bench does not steal the CPU it
	// measures.
	poll := 20*time.Millisecond + time.Duration(n)*20*time.Microsecond
	first := switched()
	for len(first) < n-len(moved) && time.Since(start) < p.runTimeout {
		time.Sleep(poll)
		first = switched()
	}
	res.runTimeout = p.runTimeout
	if opens2, fails2, ok2 := tcpOpens(); opensOK && ok1 && ok2 {
		res.opensOK = true
		res.setupOpens, res.runOpens, res.runFails = opens1-opens0, opens2-opens1, fails2-fails1
	}
	span := time.Since(start)
	if busy1, total1, steal1, ok := cpuStat(); ok && cpuOK && total1 > total0 {
		res.busy = 100 * float64(busy1-busy0) / float64(total1-total0)
		res.steal = 100 * float64(steal1-steal0) / float64(total1-total0)
		res.accounted = cpuPercent(int64(total1-total0), span) / float64(runtime.NumCPU())
	}
	res.sentinelCPU = cpuPercent(sentinelTicks(sentinels)-sent0, span)
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
		time.Sleep(poll)
	}
	time.Sleep(time.Second)

	res.oddities = append(res.oddities, inspect(sentinels, subs, top, start)...)
	if killed > 100*time.Millisecond {
		res.oddities = append(res.oddities, fmt.Sprintf("killing %d masters took %v", n, killed.Round(time.Millisecond)))
	}
	var ds []time.Duration
	for _, m := range top.mons {
		d, ok := first[m.Name]
		if !ok && wasMoved[m.Name] {
			continue
		}
		if !ok {
			res.missed = append(res.missed, m.Name)
			continue
		}
		if d >= res.last {
			res.last, res.lastName = d, m.Name
		}
		ds = append(ds, d)
	}
	res.ok = len(res.missed) == 0 && len(moved) == 0
	res.switched = len(ds)
	if len(ds) > 0 {
		slices.Sort(ds)
		res.median = median(ds)
		for k := 1; k < len(ds); k++ {
			res.stall = max(res.stall, ds[k]-ds[k-1])
		}
	}
	res.odown = odownMedian(subs, start)
	res.perSentinel, res.spread = perSentinel(subs, n, start)
	res.tries, res.elected, res.aborts = countEvents(subs)
	if !res.ok || len(res.oddities) > 0 || keepAllLogs {
		keepLogs()
	}
	return res
}

// startSentinels starts the three sentinels at once, so that a slow one
// (redis-sentinel discovering thousands of instances) does not hold up
// the others' start; a failure to start ends the run.
func startSentinels(t benchTB, c *cluster.Cluster, impl cluster.Impl, mons []cluster.Monitor) []*cluster.Sentinel {
	out := make([]*cluster.Sentinel, foSentinels)
	errs := make([]string, foSentinels)
	var wg sync.WaitGroup
	for k := range foSentinels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[k] = abortMessage(r)
				}
			}()
			sc := cluster.SentinelConfig{Monitors: mons}
			if sentinelLogLevel != "" {
				sc.Extra = append(sc.Extra, "loglevel "+sentinelLogLevel)
			}
			if sentinelLogDir != "" {
				// The harness keeps only a log's tail; at thousands of
				// masters the failover is long gone from it.
				sc.Extra = append(sc.Extra, fmt.Sprintf("logfile %s/%s-%d-s%d.log", sentinelLogDir, impl, len(mons), k))
			}
			out[k] = c.StartSentinel(impl, fmt.Sprintf("s%d", k), sc)
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatalf("%s", e)
		}
	}
	return out
}

// sentinelTicks is the CPU time the sentinels have used so far, summed,
// in clock ticks (userHZ).
func sentinelTicks(sentinels []*cluster.Sentinel) int64 {
	var sum int64
	for _, s := range sentinels {
		t, _ := procTicks(s.Pid())
		sum += t
	}
	return sum
}

// movedBeforeKill says which masters a sentinel no longer names at their
// first address just before the kill: they failed over during the set-up
// (a machine too busy to answer its sentinels' PINGs in time), so the
// kill does not touch their master and the run cannot switch them.
func movedBeforeKill(sentinels []*cluster.Sentinel, top foTopology) ([]string, string) {
	var moved []string
	seen := map[string]bool{}
	for _, s := range sentinels {
		v, err := s.Do("SENTINEL", "MASTERS")
		if err != nil {
			continue
		}
		for _, e := range v.Elems {
			kv := e.KV()
			name := kv["name"]
			if old, ok := top.old[name]; ok && kv["ip"]+" "+kv["port"] != old && !seen[name] {
				seen[name] = true
				moved = append(moved, name)
			}
		}
	}
	if len(moved) == 0 {
		return nil, ""
	}
	slices.Sort(moved)
	return moved, fmt.Sprintf("%d masters failed over during the set-up, before the kill (a sentinel named another address): %s", len(moved), abbrev(moved))
}

// countEvents counts, over all sentinels, the failover attempts
// (+try-failover), the elections won (+elected-leader) and the aborted
// or timed-out failovers.
func countEvents(subs []*cluster.Subscription) (tries, elected, aborts int) {
	for _, sub := range subs {
		for _, msg := range sub.Messages() {
			switch {
			case msg.Channel == "+try-failover":
				tries++
			case msg.Channel == "+elected-leader":
				elected++
			case strings.HasPrefix(msg.Channel, "-failover-abort-") || msg.Channel == "+failover-end-for-timeout":
				aborts++
			}
		}
	}
	return tries, elected, aborts
}

// inspect lists what a correct failover does not do: a sentinel that
// announces the same master's switch twice or to different addresses,
// promotes something other than the master's one replica, never reports
// a switch at all (within the grace period), aborts/times out, sees a
// peer subjectively down, or declares a new master objectively down.
func inspect(sentinels []*cluster.Sentinel, subs []*cluster.Subscription, top foTopology, start time.Time) []string {
	var out []string
	mons, old, want := top.mons, top.old, top.want
	aborts := map[string]int{}
	for i, sub := range subs {
		s := sentinels[i].Name
		per := map[string][]cluster.Message{}
		// Nothing but the masters dies in this run: a peer seen down, or
		// a new master declared objectively down (a second failover), is
		// a sentinel misjudging under load (BENCHMARKS.md, eighth
		// session: both happened, for causes now fixed).
		var peersDown, newODown int
		for _, msg := range sub.Messages() {
			switch msg.Channel {
			case "+switch-master":
				name, _, _ := strings.Cut(msg.Payload, " ")
				per[name] = append(per[name], msg)
			case "+sdown":
				if strings.HasPrefix(msg.Payload, "sentinel ") {
					peersDown++
				}
			case "+odown":
				// master <name> <ip> <port> #quorum q/n
				if f := strings.Fields(msg.Payload); len(f) >= 4 && f[2]+" "+f[3] == want[f[1]] {
					newODown++
				}
			case "+try-failover", "+elected-leader":
			default:
				aborts[msg.Channel]++
			}
		}
		if peersDown > 0 {
			out = append(out, fmt.Sprintf("%s: %d +sdown of a peer sentinel (no sentinel dies in this run)", s, peersDown))
		}
		if newODown > 0 {
			out = append(out, fmt.Sprintf("%s: %d +odown of a master at its new address (its replica, which stays up)", s, newODown))
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
