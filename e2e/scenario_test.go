package e2e

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// The scenario differential harness: each scenario builds the same
// topology twice, one master with its replicas watched by three
// redis-sentinels, and one watched by three of ours, runs the same script
// against both groups at the same time, and compares what the sentinels
// say at the script's checkpoints (SENTINEL MASTER, REPLICAS, SENTINELS
// and GET-MASTER-ADDR-BY-NAME on every sentinel, normalized by
// mask_test.go) and the ordered kinds of
// events the sentinels of each group published.
//
// A scenario is data plus a function (see scenarios_test.go); adding one
// means appending to the scenarios list:
//
//	var myScenario = &scenario{
//		name:      "my-scenario",
//		replicas:  2,
//		downAfter: time.Second, // short: the whole harness runs in about a minute
//		script: func(g *topo) {
//			g.sentinelDo("SENTINEL", "FAILOVER", "mymaster") // on every sentinel of the group
//			g.waitAll(10*time.Second, "...", func(s *cluster.Sentinel) error { ... })
//			g.checkpoint("after the failover")
//		},
//	}
//
// A script must work against redis-sentinel (else the test says the
// scenario is wrong) and must wait for a state before a checkpoint rather
// than sleep; g.fail notes a problem without stopping the other group.
// Values that differ between any two groups (ports, run ids, sentinel
// ids) are masked; knownDiffs masks more, with a reason.

// scenario is one scripted run.
type scenario struct {
	name string
	// replicas is how many replicas the master gets; replicaArgs are the
	// extra redis-server arguments of replica k, masterArgs the master's.
	replicas    int
	masterArgs  []string
	replicaArgs func(g *topo, k int) []string
	// downAfter is the master's down-after-milliseconds (default 5 s:
	// scenarios that do not kill anything must not see an SDOWN).
	downAfter time.Duration
	// conf adds lines to every sentinel's config of the group.
	conf func(g *topo) []string
	// hostname monitors the master by a name ("localhost", conf must then
	// turn resolve-hostnames on) or another address ("::1") rather than
	// 127.0.0.1.
	hostname string
	// unknownReplicas is how many of the replicas the sentinels are not
	// expected to know (a replica announcing a name they cannot use).
	unknownReplicas int
	// compareConf adds the sentinels' rewritten config files (monitor,
	// known-replica and known-sentinel lines) to every checkpoint.
	compareConf bool
	// logins are AUTH arguments the harness may need to read the
	// servers' run ids at the end of the script.
	logins [][]string
	// knownDiffs are fields masked in this scenario's comparison because
	// of a known difference outside what the scenario checks; each entry
	// says why (field name -> reason). Keep it short: every entry is a
	// difference nobody is told about.
	knownDiffs map[string]string
	// ignoreEvents are event kinds ("-sdown master") left out of the
	// comparison because whether they happen is chance in this scenario.
	ignoreEvents []string
	// events are the event kinds (channels) compared; nil means
	// defaultEvents.
	events []string
	// script drives one group. It runs in its own goroutine, once per
	// group, both at the same time; it reports problems with g.fail and
	// takes snapshots with g.checkpoint.
	script func(g *topo)
}

// defaultEvents are the event kinds both implementations must agree on.
// Discovery events (+slave, +sentinel) are left out: their order among
// themselves depends on which hello or INFO came first; so is -odown,
// which a peer may or may not publish for the old master depending on
// whether the new configuration reached it first.
var defaultEvents = []string{
	"+sdown", "-sdown", "+odown", "+try-failover", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+promoted-slave",
	"+switch-master", "+failover-end", "-failover-abort-no-good-slave",
	"+reboot", "+convert-to-slave", "+fix-slave-config", "+role-change", "-role-change",
	"+monitor", "-monitor", "+reset-master", "+set",
}

// topo is one implementation's topology while a scenario runs.
type topo struct {
	sc        *scenario
	impl      cluster.Impl
	c         *cluster.Cluster // for scripts that start more processes
	master    *cluster.Redis
	replicas  []*cluster.Redis
	sentinels []*cluster.Sentinel
	events    []*cluster.Subscription // one per sentinel

	mk *masker // taken once the group settled, completed after the script

	mu     sync.Mutex
	errs   []string
	points []checkpoint
}

// checkpoint is what the group's sentinels said at one named moment.
type checkpoint struct {
	name    string
	replies []labeled
}

type labeled struct {
	what  string
	v     cluster.Value
	norm  normalizer
	lines bool // a config file: count lines, not fields
}

func (g *topo) fail(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.errs = append(g.errs, fmt.Sprintf(format, args...))
}

// redisDo runs a command on a server, first logging in with auth (the
// AUTH arguments; none for no AUTH), and notes any error.
func (g *topo) redisDo(r *cluster.Redis, auth []string, args ...string) cluster.Value {
	v, err := redisDoAuth(r, auth, args...)
	if err != nil {
		g.fail("%s: %q: %v", r.Name, args, err)
	}
	return v
}

// redisDoQuiet is redisDo without noting errors.
func (g *topo) redisDoQuiet(r *cluster.Redis, auth []string, args ...string) cluster.Value {
	v, _ := redisDoAuth(r, auth, args...)
	return v
}

func redisDoAuth(r *cluster.Redis, auth []string, args ...string) (cluster.Value, error) {
	conn, err := cluster.Dial(r.Addr())
	if err != nil {
		return cluster.Value{}, err
	}
	defer conn.Close()
	if len(auth) > 0 {
		if _, err := conn.DoOK(append([]string{"AUTH"}, auth...)...); err != nil {
			return cluster.Value{}, fmt.Errorf("AUTH: %w", err)
		}
	}
	v, err := conn.Do(args...)
	if err == nil && v.IsError() {
		err = v.Err()
	}
	return v, err
}

// sentinelDo runs a command on every sentinel of the group.
func (g *topo) sentinelDo(args ...string) {
	for _, s := range g.sentinels {
		if v, err := s.Do(args...); err != nil || v.IsError() {
			g.fail("%s: %q: %v %v", s.Name, args, v, err)
		}
	}
}

// waitAll waits until cond holds for every sentinel; a timeout is noted,
// not fatal: the checkpoint that follows shows what differs.
func (g *topo) waitAll(timeout time.Duration, what string, cond func(s *cluster.Sentinel) error) {
	for _, s := range g.sentinels {
		if err := cluster.Poll(timeout, func() error { return cond(s) }); err != nil {
			g.fail("%s (%s): waiting for %s: %v", s.Name, g.impl, what, err)
		}
	}
}

// masterFlags waits for SENTINEL MASTER's flags to satisfy ok.
func (g *topo) waitMasterFlags(timeout time.Duration, what string, ok func(flags string) bool) {
	g.waitAll(timeout, what, func(s *cluster.Sentinel) error {
		m, err := s.Master("mymaster")
		if err != nil {
			return err
		}
		if !ok(m["flags"]) {
			return fmt.Errorf("flags %q", m["flags"])
		}
		return nil
	})
}

// holdMasterFlags checks that SENTINEL MASTER's flags satisfy ok on every
// sentinel in at least 80 % of the samples taken over d: a state that
// comes and goes (a link that times out after seconds and reconnects) is
// not the steady one redis-sentinel shows, which itself leaves it for a
// few milliseconds at each reconnect.
func (g *topo) holdMasterFlags(d time.Duration, what string, ok func(flags string) bool) {
	good, last := make([]int, len(g.sentinels)), make([]string, len(g.sentinels))
	n := 0
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		n++
		for k, s := range g.sentinels {
			if m, err := s.Master("mymaster"); err == nil {
				last[k] = m["flags"]
				if ok(last[k]) {
					good[k]++
				}
			}
		}
	}
	for k, s := range g.sentinels {
		if good[k]*5 < n*4 {
			g.fail("%s (%s): %s held in %d of %d samples (last flags %q)", s.Name, g.impl, what, good[k], n, last[k])
		}
	}
}

// checkpoint snapshots SENTINEL MASTER, REPLICAS, SENTINELS and
// GET-MASTER-ADDR-BY-NAME on every sentinel of the group under name.
func (g *topo) checkpoint(name string) { g.checkpointWhen(name, nil) }

// checkpointWhen is checkpoint that takes each sentinel's snapshot again
// (up to 20 times, 50 ms apart) until its master's flags satisfy ok: for
// states redis-sentinel itself leaves for a few milliseconds now and then.
func (g *topo) checkpointWhen(name string, ok func(flags string) bool) {
	cp := checkpoint{name: name}
	for k, s := range g.sentinels {
		var vs []labeled
		// The MASTER reply taken is the one whose flags satisfied ok.
		for range 20 {
			vs = g.snapshot(k, s)
			if ok == nil || ok(vs[0].v.KV()["flags"]) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		cp.replies = append(cp.replies, vs...)
	}
	if g.sc.compareConf {
		for k, s := range g.sentinels {
			cp.replies = append(cp.replies, labeled{fmt.Sprintf("sentinel %d: config file", k), confLines(s), sortedLines, true})
		}
	}
	g.mu.Lock()
	g.points = append(g.points, cp)
	g.mu.Unlock()
}

// snapshot is one sentinel's part of a checkpoint, SENTINEL MASTER first.
func (g *topo) snapshot(k int, s *cluster.Sentinel) []labeled {
	var out []labeled
	for _, q := range []struct {
		cmd  string
		norm normalizer
	}{{"MASTER", instance}, {"REPLICAS", sortedInstances}, {"SENTINELS", sortedInstances}, {"GET-MASTER-ADDR-BY-NAME", exact}} {
		v, err := s.Do("SENTINEL", q.cmd, "mymaster")
		if err != nil {
			v = cluster.Value{Kind: cluster.Error, Str: err.Error()}
		}
		out = append(out, labeled{fmt.Sprintf("sentinel %d: SENTINEL %s", k, q.cmd), v, q.norm, false})
	}
	return out
}

// confLines are the address lines of a sentinel's config file as a
// RESP array of lines, once the file has been rewritten with at least one
// known replica or sentinel (our rewrite is asynchronous, a few ms after
// the change).
func confLines(s *cluster.Sentinel) cluster.Value {
	var out cluster.Value
	_ = cluster.Poll(2*time.Second, func() error {
		cf, err := s.Conf()
		if err != nil {
			return err
		}
		out = cluster.Value{Kind: cluster.Array}
		known := false
		for _, l := range cf.Lines {
			if len(l) < 2 || !strings.EqualFold(l[0], "sentinel") {
				continue
			}
			switch strings.ToLower(l[1]) {
			case "monitor", "known-replica", "known-sentinel":
				known = known || l[1] != "monitor"
				out.Elems = append(out.Elems, cluster.Value{Kind: cluster.Array, Elems: confWords(l)})
			}
		}
		if !known {
			return fmt.Errorf("not rewritten yet")
		}
		return nil
	})
	return out
}

func confWords(l []string) []cluster.Value {
	out := make([]cluster.Value, len(l))
	for i, w := range l {
		out[i] = cluster.Value{Kind: cluster.Bulk, Str: w}
	}
	return out
}

// sortedLines masks every word of every line and sorts the lines.
func sortedLines(v cluster.Value, m *masker) cluster.Value {
	out := m.tokenize(v)
	slices.SortFunc(out.Elems, func(a, b cluster.Value) int { return strings.Compare(a.Tree(), b.Tree()) })
	return out
}

// sortedInstances is instances with the list sorted after masking: the
// order of SENTINEL REPLICAS/SENTINELS is a hash table's in redis-sentinel
// and not part of the protocol.
func sortedInstances(v cluster.Value, m *masker) cluster.Value {
	out := instances(v, m)
	if out.Kind == cluster.Array {
		out.Elems = slices.Clone(out.Elems)
		slices.SortFunc(out.Elems, func(a, b cluster.Value) int { return strings.Compare(a.Tree(), b.Tree()) })
	}
	return out
}

// eventKinds lists the compared kinds of event the group's sentinels
// published, each once, in the order they first appeared on any of them,
// with the kind of instance they are about ("+sdown master"). Which
// sentinel sees what first is chance (a fast leader's new config can
// reach a peer before its own down-after ran out), what the group as a
// whole went through is not.
func (g *topo) eventKinds() []string {
	want := g.sc.events
	if want == nil {
		want = defaultEvents
	}
	var msgs []cluster.Message
	for _, sub := range g.events {
		msgs = append(msgs, sub.Messages()...)
	}
	slices.SortStableFunc(msgs, func(a, b cluster.Message) int { return a.At.Compare(b.At) })
	seen := map[string]bool{}
	var out []string
	for _, m := range msgs {
		if !slices.Contains(want, m.Channel) {
			continue
		}
		k := m.Channel
		f := strings.Fields(m.Payload)
		switch {
		case m.Channel == "+switch-master":
			// The whole payload: old and new address, as announced
			// (IPs, or names with announce-hostnames).
			for _, w := range f {
				if p, ok := g.mk.tokens[w]; ok {
					w = p
				}
				k += " " + w
			}
		case len(f) > 0 && (f[0] == "master" || f[0] == "slave" || f[0] == "sentinel"):
			k += " " + f[0]
		}
		if !seen[k] && !slices.Contains(g.sc.ignoreEvents, k) {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// failoverChain are the event kinds one after the other by cause: their
// order is compared. Other kinds (an old master's +sdown, -sdown,
// +failover-end, ...) come from different sentinels at about the same
// time, and are compared as a set.
var failoverChain = []string{
	"+sdown master", "+odown master", "+try-failover", "+elected-leader",
	"+failover-state-select-slave", "+selected-slave", "+promoted-slave", "+switch-master",
}

// orderedEvents puts the chain's kinds first, in the order seen, then the
// others sorted.
func orderedEvents(kinds []string) []string {
	var chain, rest []string
	for _, k := range kinds {
		inChain := slices.ContainsFunc(failoverChain, func(c string) bool { return strings.HasPrefix(k, c) })
		if inChain {
			chain = append(chain, k)
		} else {
			rest = append(rest, k)
		}
	}
	// The leader's +promoted-slave and a follower's +switch-master come
	// from different sentinels a round trip apart (ours announces the new
	// configuration the moment it exists): which one a subscriber hears
	// first is chance. The switch is caused by the promotion; a leader's
	// own order is the failover package's tests' business.
	p := slices.IndexFunc(chain, func(k string) bool { return k == "+promoted-slave slave" })
	w := slices.IndexFunc(chain, func(k string) bool { return strings.HasPrefix(k, "+switch-master") })
	if p >= 0 && w >= 0 && w < p {
		sw := chain[w]
		chain = slices.Insert(slices.Delete(chain, w, w+1), p, sw)
	}
	slices.Sort(rest)
	return append(append(chain, "(then, in any order)"), rest...)
}

// start builds the scenario's topology for impl and waits until every
// sentinel knows the two others and every replica.
func (sc *scenario) start(t *testing.T, c *cluster.Cluster, impl cluster.Impl) *topo {
	g := &topo{sc: sc, impl: impl, c: c}
	tag := strings.ToLower(impl.String()[:4])
	g.master = c.StartRedis(tag+"-master", sc.masterArgs...)
	for k := range sc.replicas {
		var extra []string
		if sc.replicaArgs != nil {
			extra = sc.replicaArgs(g, k)
		}
		g.replicas = append(g.replicas, c.StartReplica(fmt.Sprintf("%s-replica%d", tag, k), g.master, extra...))
	}
	for _, r := range g.replicas {
		cluster.WaitReplicaSynced(t, r)
	}
	down := sc.downAfter
	if down == 0 {
		down = 5 * time.Second
	}
	mon := cluster.Monitor{Name: "mymaster", Redis: g.master, Quorum: 2, DownAfter: down}
	if sc.hostname != "" {
		mon.Redis, mon.Host, mon.Port = nil, sc.hostname, g.master.Port
	}
	var extra []string
	if sc.conf != nil {
		extra = sc.conf(g)
	}
	for k := range 3 {
		g.sentinels = append(g.sentinels, c.StartSentinel(impl, fmt.Sprintf("%s-sentinel%d", tag, k),
			cluster.SentinelConfig{Monitors: []cluster.Monitor{mon}, Extra: extra}))
	}
	return g
}

// settle waits until the group's sentinels see each other and the
// replicas, then subscribes to the sentinels' events.
func (g *topo) settle(t *testing.T) {
	for _, s := range g.sentinels {
		s.WaitSentinels(t, "mymaster", 2, 20*time.Second)
	}
	cluster.WaitFor(t, 20*time.Second, g.impl.String()+" sentinels to see the replicas", func() error {
		for _, s := range g.sentinels {
			m, err := s.Master("mymaster")
			if err != nil {
				return err
			}
			if m["num-slaves"] != strconv.Itoa(len(g.replicas)-g.sc.unknownReplicas) {
				return fmt.Errorf("%s: num-slaves %s", s.Name, m["num-slaves"])
			}
			// Listed replicas are connected and their INFO was read.
			reps, err := s.Replicas("mymaster")
			if err != nil {
				return err
			}
			for _, r := range reps {
				if r["flags"] != "slave" || r["runid"] == "" {
					return fmt.Errorf("%s: replica %s flags %q runid %q", s.Name, r["name"], r["flags"], r["runid"])
				}
			}
		}
		return nil
	})
	for _, s := range g.sentinels {
		g.events = append(g.events, cluster.Subscribe(t, s.Addr(), "*"))
	}
	// Run ids are read now: the script may kill a server.
	g.mk = g.masker()
}

// masker maps each group's own values (ports, run ids, addresses) to the
// same placeholders, so the two groups' replies can be compared.
func (g *topo) masker() *masker {
	m := newMasker()
	add := func(r *cluster.Redis, ph string) {
		p := strconv.Itoa(r.Port)
		m.add(p, "<"+ph+"-port>")
		m.add("127.0.0.1:"+p, "<"+ph+">")
		if g.sc.hostname != "" {
			m.add(net.JoinHostPort(g.sc.hostname, p), "<"+ph+" by name>")
		}
		for _, login := range append([][]string{nil}, g.sc.logins...) {
			if v := g.redisDoQuiet(r, login, "INFO", "server"); v.Kind == cluster.Bulk {
				m.add(cluster.ParseInfo(v.Str)["run_id"], "<"+ph+"-runid>")
				break
			}
		}
	}
	add(g.master, "master")
	for k, r := range g.replicas {
		add(r, fmt.Sprintf("replica%d", k))
	}
	for _, s := range g.sentinels {
		if id, err := s.MyID(); err == nil {
			m.add(id, "<sentinel-id>")
		}
		m.add(strconv.Itoa(s.Port), "<sentinel-port>")
	}
	return m
}

// scenarioCounts are what the harness reports at the end of a run.
type scenarioCounts struct {
	mu                               sync.Mutex
	scenarios, fields, events, diffs int
}

// runScenario runs sc against both implementations and compares.
func runScenario(t *testing.T, sc *scenario, counts *scenarioCounts) {
	c := cluster.New(t)
	real := sc.start(t, c, cluster.Real)
	ours := sc.start(t, c, cluster.Ours)
	groups := []*topo{real, ours}
	for _, g := range groups {
		g.settle(t)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc.script(g)
		}()
	}
	wg.Wait()
	for _, g := range groups {
		for _, e := range g.errs {
			t.Logf("%s: %s", g.impl, e)
		}
	}
	if len(real.errs) > 0 {
		t.Fatalf("the script failed against redis-sentinel: the scenario is wrong, not ours")
	}
	diffs, fields := 0, 0
	for _, g := range groups {
		for k, v := range g.masker().tokens {
			if _, ok := g.mk.tokens[k]; !ok {
				g.mk.tokens[k] = v
			}
		}
	}
	rm, om := real.mk, ours.mk
	if len(real.points) != len(ours.points) {
		t.Fatalf("checkpoints: redis-sentinel %d, ours %d", len(real.points), len(ours.points))
	}
	for p := range real.points {
		rp, op := real.points[p], ours.points[p]
		for k := range rp.replies {
			r, o := rp.replies[k], op.replies[k]
			want, got := maskKnown(r.norm(r.v, rm), sc.knownDiffs), maskKnown(o.norm(o.v, om), sc.knownDiffs)
			if r.lines {
				fields += len(want.Elems)
			} else {
				fields += countFields(want)
			}
			if d := cluster.LineDiff(want.Tree(), got.Tree()); d != "" {
				diffs++
				t.Errorf("checkpoint %q, %s differs (- redis-sentinel, + ours):\n%s", rp.name, r.what, d)
			}
		}
	}
	re, oe := orderedEvents(real.eventKinds()), orderedEvents(ours.eventKinds())
	if d := cluster.LineDiff(strings.Join(re, "\n"), strings.Join(oe, "\n")); d != "" {
		diffs++
		t.Errorf("event kinds differ (- redis-sentinel, + ours):\n%s", d)
	}
	if len(ours.errs) > 0 && diffs == 0 {
		// A wait that timed out only against ours must show somewhere.
		diffs++
		t.Errorf("the script's waits failed against ours only")
	}
	t.Logf("%d checkpoints, %d fields, %d events compared, %d differences", len(real.points), fields, len(re)-1, diffs)
	counts.mu.Lock()
	counts.scenarios++
	counts.fields += fields
	counts.events += len(re) - 1
	counts.diffs += diffs
	counts.mu.Unlock()
}

// maskKnown replaces the values of the named fields anywhere in a
// normalized reply by "<known difference>".
func maskKnown(v cluster.Value, fields map[string]string) cluster.Value {
	if len(fields) == 0 || (v.Kind != cluster.Array && v.Kind != cluster.Map) {
		return v
	}
	out := v
	out.Elems = slices.Clone(v.Elems)
	for k := range out.Elems {
		e := out.Elems[k]
		if e.Kind == cluster.Array || e.Kind == cluster.Map {
			out.Elems[k] = maskKnown(e, fields)
			continue
		}
		if k%2 == 0 && k+1 < len(out.Elems) && out.Elems[k+1].Kind != cluster.Array {
			if _, ok := fields[e.Text()]; ok {
				out.Elems[k+1] = cluster.Value{Kind: out.Elems[k+1].Kind, Str: "<known difference>"}
			}
		}
	}
	return out
}

// countFields counts the key/value pairs of a normalized reply: one
// instance (a flat array or a map), or a list of them.
func countFields(v cluster.Value) int {
	switch {
	case v.Kind == cluster.Map:
		return len(v.Elems) / 2
	case v.Kind != cluster.Array:
		return 0
	case len(v.Elems) > 0 && v.Elems[0].Kind != cluster.Array && v.Elems[0].Kind != cluster.Map:
		return len(v.Elems) / 2
	}
	n := 0
	for _, e := range v.Elems {
		n += countFields(e)
	}
	return n
}

// TestScenarios runs every scenario of scenarios_test.go against three
// redis-sentinels and three of ours.
func TestScenarios(t *testing.T) {
	counts := &scenarioCounts{}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { runScenario(t, sc, counts) })
	}
	t.Logf("scenarios: %d, fields compared: %d, events compared: %d, differences: %d",
		counts.scenarios, counts.fields, counts.events, counts.diffs)
	if counts.scenarios > 0 && counts.fields == 0 {
		t.Fatal("no field was compared")
	}
}
