package sim_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// probe is a test node that records what it receives and, when chatty,
// sends a numbered command to each of its targets on every tick.
type probe struct {
	ep      *sim.Endpoint
	targets []string
	sent    uint64
	conns   uint64 // commands go round-robin on this many connections (0: one)
	got     []received
	ticks   []time.Time
}

type received struct {
	at   time.Time
	from string
	seq  uint64
	conn string
}

var _ sim.Node = (*probe)(nil)

func (p *probe) Receive(now time.Time, from string, msg sim.Msg) {
	if c, ok := msg.(sim.Command); ok {
		p.got = append(p.got, received{now, from, c.Seq, c.Conn})
	}
}

func (p *probe) Tick(now time.Time) {
	p.ticks = append(p.ticks, now)
	for _, t := range p.targets {
		p.sent++
		conn := "t"
		if p.conns > 0 {
			conn = fmt.Sprint("t", p.sent%p.conns)
		}
		p.ep.Send(t, sim.Command{Conn: conn, Seq: p.sent, Args: []string{"PING"}})
	}
}

// addProbe adds a probe that ticks every period (0: never) towards
// targets, each command on a connection of its own (so that a loss or a
// partition stalls no later message; tests of stalls set conns).
func addProbe(w *sim.World, name string, port int, period time.Duration, targets ...string) *sim.Endpoint {
	return w.Add(name, sim.Addr{Host: "10.0.0.1", Port: port}, period, func(ep *sim.Endpoint) sim.Node {
		return &probe{ep: ep, targets: targets, conns: 1 << 30}
	})
}

// readerPair is a world where probe a sends to probe b every 10 ms and b
// ticks every 100 ms, a second into its run: b's reading is what the
// lag, trail and flood tests change.
func readerPair(t *testing.T, seed uint64) (*sim.World, *sim.Endpoint, *probe) {
	t.Helper()
	w := sim.New(sim.Config{Seed: seed})
	addProbe(w, "a", 1, 10*time.Millisecond, "b")
	bep := addProbe(w, "b", 2, 100*time.Millisecond)
	w.RunFor(time.Second)
	return w, bep, probeOf(t, w, "b")
}

func probeOf(t *testing.T, w *sim.World, name string) *probe {
	t.Helper()
	p, ok := w.Node(name).(*probe)
	if !ok {
		t.Fatalf("%s is not a running probe", name)
	}
	return p
}

func fromCount(p *probe, from string) int {
	n := 0
	for _, g := range p.got {
		if g.from == from {
			n++
		}
	}
	return n
}

func TestSameTimeEventsRunInScheduleOrder(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	var order []int
	at := w.Now().Add(time.Second)
	for i := range 50 {
		w.At(at, fmt.Sprint(i), func() { order = append(order, i) })
	}
	if err := w.RunFor(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(order) != 50 || !slices.IsSorted(order) {
		t.Fatalf("order %v, want 0..49", order)
	}
	if got := w.Elapsed(); got != 2*time.Second {
		t.Fatalf("elapsed %v, want 2s: Run sets the clock to until", got)
	}
}

// chatter is a three-node world with every fault the network has, driven
// for ten simulated seconds.
func chatter(cfg sim.Config) *sim.World {
	w := sim.New(cfg)
	addProbe(w, "a", 1, 10*time.Millisecond, "b", "c")
	addProbe(w, "b", 2, 10*time.Millisecond, "a", "c")
	addProbe(w, "c", 3, 10*time.Millisecond, "a", "b")
	w.After(time.Second, "faults", func() {
		w.Loss("a", "b", 0.3)
		w.Reorder("b", "c", 20*time.Millisecond)
		w.Delay("c", "a", 5*time.Millisecond)
	})
	w.After(3*time.Second, "partition", func() { w.Partition([]string{"a"}, []string{"b", "c"}) })
	w.After(5*time.Second, "heal", w.HealAll)
	w.After(6*time.Second, "crash c", func() { w.Crash("c") })
	w.After(7*time.Second, "restart c", func() { w.Restart("c") })
	w.RunFor(10 * time.Second)
	return w
}

func TestSameSeedSameTraceDifferentSeedsDiffer(t *testing.T) {
	one, again, other := chatter(sim.Config{Seed: 7}), chatter(sim.Config{Seed: 7}), chatter(sim.Config{Seed: 8})
	if one.Trace().Sum() != again.Trace().Sum() {
		t.Fatalf("seed 7 twice: trace sums %x and %x differ", one.Trace().Sum(), again.Trace().Sum())
	}
	if !slices.Equal(one.Trace().Last(500), again.Trace().Last(500)) {
		t.Fatal("seed 7 twice: last trace lines differ")
	}
	if one.Trace().Sum() == other.Trace().Sum() {
		t.Fatal("seeds 7 and 8 gave the same trace: the seed drives nothing")
	}
	if one.Trace().Total() < 5000 {
		t.Fatalf("only %d trace lines: the scenario did not run", one.Trace().Total())
	}
}

func TestPartitionIsSymmetricAndHeals(t *testing.T) {
	w := sim.New(sim.Config{Seed: 2})
	addProbe(w, "a", 1, 10*time.Millisecond, "b", "c")
	addProbe(w, "b", 2, 10*time.Millisecond, "a", "c")
	addProbe(w, "c", 3, 10*time.Millisecond, "a", "b")
	w.Partition([]string{"a"}, []string{"b"})
	if err := w.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	a, b, c := probeOf(t, w, "a"), probeOf(t, w, "b"), probeOf(t, w, "c")
	if n := fromCount(b, "a") + fromCount(a, "b"); n != 0 {
		t.Fatalf("%d messages crossed the partition", n)
	}
	if fromCount(c, "a") < 90 || fromCount(a, "c") < 90 || fromCount(c, "b") < 90 {
		t.Fatalf("links outside the partition lost messages: c<-a %d, a<-c %d, c<-b %d",
			fromCount(c, "a"), fromCount(a, "c"), fromCount(c, "b"))
	}
	if !strings.Contains(w.Trace().String(), "(partition)") {
		t.Fatal("drops by the partition are not in the trace")
	}
	// A connection that lost a message to the partition stays dead.
	w.Send("a", "b", sim.Command{Conn: "t", Seq: 1})
	w.HealAll()
	w.Send("a", "b", sim.Command{Conn: "t", Seq: 2})
	w.RunFor(10 * time.Millisecond)
	for _, g := range b.got {
		if g.conn == "t" {
			t.Fatal("a connection stalled by the partition delivered after healing")
		}
	}
	w.HealAll()
	w.RunFor(time.Second)
	if fromCount(b, "a") < 90 || fromCount(a, "b") < 90 {
		t.Fatalf("after HealAll: b<-a %d, a<-b %d", fromCount(b, "a"), fromCount(a, "b"))
	}
}

func TestCutIsOneWay(t *testing.T) {
	w := sim.New(sim.Config{Seed: 3})
	addProbe(w, "a", 1, 10*time.Millisecond, "b")
	addProbe(w, "b", 2, 10*time.Millisecond, "a")
	w.Cut("a", "b")
	if w.Connected("b", "a") {
		t.Fatal("a one-way cut leaves them Connected")
	}
	w.RunFor(time.Second)
	if n := fromCount(probeOf(t, w, "b"), "a"); n != 0 {
		t.Fatalf("b got %d messages from a over a cut link", n)
	}
	if n := fromCount(probeOf(t, w, "a"), "b"); n < 90 {
		t.Fatalf("a got %d messages from b: the cut is not one-way", n)
	}
}

func TestIsolate(t *testing.T) {
	w := sim.New(sim.Config{Seed: 3})
	addProbe(w, "a", 1, 10*time.Millisecond, "b", "c")
	addProbe(w, "b", 2, 10*time.Millisecond, "a", "c")
	addProbe(w, "c", 3, 10*time.Millisecond, "a", "b")
	w.Isolate("a")
	if w.Connected("a", "b") || w.Connected("c", "a") || !w.Connected("b", "c") {
		t.Fatal("Connected does not follow the isolation")
	}
	w.RunFor(time.Second)
	a, b, c := probeOf(t, w, "a"), probeOf(t, w, "b"), probeOf(t, w, "c")
	if len(a.got) != 0 || fromCount(b, "a") != 0 || fromCount(c, "a") != 0 {
		t.Fatal("an isolated node exchanged messages")
	}
	if fromCount(b, "c") < 90 {
		t.Fatal("isolating a cut b from c")
	}
}

func TestLossDropsAboutTheGivenShare(t *testing.T) {
	w := sim.New(sim.Config{Seed: 4})
	addProbe(w, "a", 1, time.Millisecond, "b")
	addProbe(w, "b", 2, 0)
	w.Loss("a", "b", 0.25)
	w.RunFor(2 * time.Second)
	sent, got := probeOf(t, w, "a").sent, len(probeOf(t, w, "b").got)
	share := 1 - float64(got)/float64(sent)
	if sent < 1900 || share < 0.20 || share > 0.30 {
		t.Fatalf("sent %d, received %d: lost %.3f, want about 0.25", sent, got, share)
	}
}

func TestALossStallsItsConnectionOnly(t *testing.T) {
	w := sim.New(sim.Config{Seed: 4})
	addProbe(w, "a", 1, time.Millisecond, "b")
	probeOf(t, w, "a").conns = 2
	addProbe(w, "b", 2, 0)
	w.Loss("a", "b", 0.01)
	w.RunFor(2 * time.Second)
	w.HealAll() // a stalled connection stays stalled
	w.RunFor(time.Second)
	last := map[string]uint64{}
	for _, g := range probeOf(t, w, "b").got {
		last[g.conn] = g.seq
	}
	sent := probeOf(t, w, "a").sent
	stalled := 0
	for _, c := range []string{"t0", "t1"} {
		if last[c] < sent-10 {
			stalled++
		}
	}
	if stalled != 2 || !strings.Contains(w.Trace().String(), "(its connection stalled)") {
		t.Fatalf("last seq per connection %v of %d sent: want both stalled for good after a loss", last, sent)
	}
	// A new connection goes through.
	w.Endpoint("a").Send("b", sim.Command{Conn: "fresh", Seq: 1})
	w.RunFor(10 * time.Millisecond)
	if g := probeOf(t, w, "b").got; g[len(g)-1].conn != "fresh" {
		t.Fatal("a new connection was stalled too")
	}
}

func TestLinksAreFIFOUnlessReorderedAndConnectionsAlways(t *testing.T) {
	// inversions counts messages that overtook an earlier one, across
	// the link and within each of its four connections.
	inversions := func(reorder time.Duration) (link, inConn int) {
		w := sim.New(sim.Config{Seed: 5})
		addProbe(w, "a", 1, time.Millisecond, "b")
		probeOf(t, w, "a").conns = 4
		addProbe(w, "b", 2, 0)
		if reorder > 0 {
			w.Reorder("a", "b", reorder)
		}
		w.RunFor(time.Second)
		got := probeOf(t, w, "b").got
		if len(got) < 900 {
			t.Fatalf("only %d of ~1000 messages arrived", len(got))
		}
		lastOf := map[string]uint64{}
		for i, g := range got {
			if i > 0 && g.seq < got[i-1].seq {
				link++
			}
			if g.seq < lastOf[g.conn] {
				inConn++
			}
			lastOf[g.conn] = g.seq
		}
		return link, inConn
	}
	if l, c := inversions(0); l != 0 || c != 0 {
		t.Fatalf("%d messages overtook earlier ones on a FIFO link (%d within a connection)", l, c)
	}
	l, c := inversions(20 * time.Millisecond)
	if l == 0 {
		t.Fatal("Reorder changed no order")
	}
	if c != 0 {
		t.Fatalf("Reorder reordered %d messages within a connection", c)
	}
}

func TestDelayAddsToEveryMessage(t *testing.T) {
	w := sim.New(sim.Config{Seed: 6, MinDelay: time.Millisecond, MaxDelay: time.Millisecond})
	addProbe(w, "a", 1, 0)
	addProbe(w, "b", 2, 0)
	w.Delay("a", "b", 50*time.Millisecond)
	sentAt := w.Now()
	w.Endpoint("a").Send("b", sim.Command{Conn: "t", Seq: 1, Args: []string{"PING"}})
	w.RunFor(time.Second)
	got := probeOf(t, w, "b").got
	if len(got) != 1 || got[0].at.Sub(sentAt) != 51*time.Millisecond {
		t.Fatalf("got %+v, want one message after 51ms", got)
	}
}

func TestCrashLosesVolatileStateAndInFlightMessagesKeepsDisk(t *testing.T) {
	w := sim.New(sim.Config{Seed: 7, MinDelay: 10 * time.Millisecond, MaxDelay: 10 * time.Millisecond})
	addProbe(w, "a", 1, 0)
	b := addProbe(w, "b", 2, 0)
	b.Disk().WriteFile("state", []byte("epoch 3"))
	w.Endpoint("a").Send("b", sim.Command{Conn: "t", Seq: 1})
	w.RunFor(20 * time.Millisecond)
	w.Endpoint("a").Send("b", sim.Command{Conn: "t", Seq: 2}) // in flight at the crash
	w.RunFor(5 * time.Millisecond)
	if err := w.Crash("b"); err != nil {
		t.Fatal(err)
	}
	w.Endpoint("a").Send("b", sim.Command{Conn: "t", Seq: 3}) // to a dead node
	if w.Node("b") != nil {
		t.Fatal("a crashed node still runs")
	}
	if err := w.Restart("b"); err != nil {
		t.Fatal(err)
	}
	w.RunFor(time.Second)
	p := probeOf(t, w, "b")
	if len(p.got) != 0 {
		t.Fatalf("the restarted node got %+v: its volatile state or the old connection's messages survived", p.got)
	}
	if data, ok := b.Disk().ReadFile("state"); !ok || string(data) != "epoch 3" {
		t.Fatalf("disk after restart: %q %v", data, ok)
	}
	if b.Incarnation() != 2 {
		t.Fatalf("incarnation %d, want 2", b.Incarnation())
	}
	tr := w.Trace().String()
	for _, want := range []string{"crash b #1", "start b #2", "(b is down)", "(b restarted or down)"} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace lacks %q:\n%s", want, tr)
		}
	}
	if err := w.Crash("nobody"); !errors.Is(err, sim.ErrNoEndpoint) {
		t.Fatalf("crash of an unknown endpoint: %v", err)
	}
}

func TestFreezeHoldsMessagesAndTicksThenTheClockJumps(t *testing.T) {
	w := sim.New(sim.Config{Seed: 8})
	addProbe(w, "a", 1, 10*time.Millisecond, "b")
	addProbe(w, "b", 2, 100*time.Millisecond)
	w.RunFor(time.Second)
	b := probeOf(t, w, "b")
	before, ticks := len(b.got), len(b.ticks)
	w.Freeze("b", 3*time.Second)
	w.RunFor(2 * time.Second)
	if len(b.got) != before || len(b.ticks) != ticks {
		t.Fatalf("a frozen node received %d messages and ticked %d times", len(b.got)-before, len(b.ticks)-ticks)
	}
	w.RunFor(2 * time.Second)
	if len(b.got)-before < 300 {
		t.Fatalf("after the freeze only %d messages arrived, want the ~300 held and more", len(b.got)-before)
	}
	for i := 1; i < len(b.got); i++ {
		if b.got[i].seq < b.got[i-1].seq {
			t.Fatal("held messages were delivered out of order")
		}
	}
	// The first tick after the freeze sees a gap of the freeze's length.
	gap := b.ticks[ticks].Sub(b.ticks[ticks-1])
	if gap < 2*time.Second {
		t.Fatalf("gap between ticks around the freeze %v, want ~3s", gap)
	}
}

func TestJumpClockMovesOnlyThatNodesClock(t *testing.T) {
	w := sim.New(sim.Config{Seed: 9})
	a := addProbe(w, "a", 1, 0)
	b := addProbe(w, "b", 2, 0)
	w.JumpClock("a", -time.Hour)
	if got := w.Now().Sub(a.Now()); got != time.Hour {
		t.Fatalf("a's clock is %v behind, want 1h", got)
	}
	if !b.Now().Equal(w.Now()) {
		t.Fatal("b's clock moved")
	}
}

func TestCheckStopsTheRunWithItsError(t *testing.T) {
	w := sim.New(sim.Config{Seed: 10})
	addProbe(w, "a", 1, 10*time.Millisecond, "b")
	addProbe(w, "b", 2, 0)
	errBroken := errors.New("broken on purpose")
	w.Check(func(time.Time) error {
		if len(probeOf(t, w, "b").got) >= 5 {
			return errBroken
		}
		return nil
	})
	err := w.RunFor(time.Second)
	if !errors.Is(err, errBroken) {
		t.Fatalf("Run returned %v, want the check's error", err)
	}
	if n := len(probeOf(t, w, "b").got); n != 5 {
		t.Fatalf("the world went on after the check failed: %d messages", n)
	}
	if w.Step() {
		t.Fatal("Step ran after a failed check")
	}
	if last := w.Trace().Last(1); len(last) != 1 || !strings.Contains(last[0], "FAIL") {
		t.Fatalf("last trace line %q, want the failure", last)
	}
}

func TestTraceKeepsTheLastLinesAndHashesAll(t *testing.T) {
	w := sim.New(sim.Config{Seed: 11, TraceLines: 10})
	addProbe(w, "a", 1, 10*time.Millisecond, "b")
	addProbe(w, "b", 2, 0)
	w.RunFor(time.Second)
	tr := w.Trace()
	last := tr.Last(100)
	if len(last) != 10 || tr.Total() < 100 {
		t.Fatalf("kept %d of %d lines, want 10", len(last), tr.Total())
	}
	if !strings.HasPrefix(tr.String(), fmt.Sprintf("... %d earlier lines not kept\n", tr.Total()-10)) {
		t.Fatalf("String does not say lines were dropped:\n%s", tr.String())
	}
	// Sum is FNV-1a over every line: check it on a world that keeps all.
	w2 := sim.New(sim.Config{Seed: 11, TraceLines: 1 << 16})
	addProbe(w2, "a", 1, 10*time.Millisecond, "b")
	addProbe(w2, "b", 2, 0)
	w2.RunFor(time.Second)
	h := fnv.New64a()
	for _, l := range w2.Trace().Last(1 << 16) {
		h.Write([]byte(l + "\n"))
	}
	if h.Sum64() != w2.Trace().Sum() || w2.Trace().Sum() != tr.Sum() {
		t.Fatalf("Sum %x, FNV-1a of the lines %x, the 10-line world's %x", w2.Trace().Sum(), h.Sum64(), tr.Sum())
	}
}

func TestTraceShowsAnINFOReplyByItsReplicationFacts(t *testing.T) {
	info := "# Server\r\nrun_id:x\r\n\r\n# Replication\r\nrole:slave\r\nmaster_host:10.0.0.1\r\nmaster_port:6380\r\nmaster_link_status:up\r\nslave_priority:100\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_repl_offset:42\r\n"
	got := sim.Reply{Conn: "cmd", Seq: 3, Value: info}.String()
	want := "reply[cmd] 3: INFO{role:slave master_host:10.0.0.1 master_port:6380 master_link_status:up connected_slaves:0 master_failover_state:no-failover master_repl_offset:42}"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if got := sim.FormatValue(info); !strings.HasPrefix(got, `"# Server\r\n`) {
		t.Fatalf("FormatValue summarised a value: %s", got)
	}
}

func TestConnectedNeedsBothRunning(t *testing.T) {
	w := sim.New(sim.Config{Seed: 12})
	addProbe(w, "a", 1, 0)
	addProbe(w, "b", 2, 0)
	if !w.Connected("a", "b") {
		t.Fatal("a fresh world is not connected")
	}
	w.Crash("b")
	if w.Connected("a", "b") || w.Connected("a", "nobody") {
		t.Fatal("connected to a crashed or unknown endpoint")
	}
}

// LagReads holds the messages to a node, in order, while its ticks go
// on; CaughtUp stays at the lag's start until they are handed over, and
// Lagged remembers the lag for the window asked.
func TestLagReadsHoldsMessagesNotTicks(t *testing.T) {
	w, bep, b := readerPair(t, 9)
	before, ticks := len(b.got), len(b.ticks)
	if c := bep.CaughtUp(); !c.Equal(bep.Now()) {
		t.Fatalf("CaughtUp %v before any lag, want now %v", c, bep.Now())
	}
	lagAt := bep.Now()
	w.LagReads("b", 2*time.Second)
	w.RunFor(1500 * time.Millisecond)
	if len(b.got) != before {
		t.Fatalf("a node whose reads lag received %d messages", len(b.got)-before)
	}
	if len(b.ticks)-ticks < 10 {
		t.Fatalf("a node whose reads lag ticked %d times in 1.5 s, want ~15", len(b.ticks)-ticks)
	}
	if c := bep.CaughtUp(); !c.Equal(lagAt) {
		t.Fatalf("CaughtUp %v during the lag, want its start %v", c, lagAt)
	}
	w.RunFor(time.Second)
	if len(b.got)-before < 200 {
		t.Fatalf("after the lag only %d messages arrived, want the ~200 held and more", len(b.got)-before)
	}
	for i := 1; i < len(b.got); i++ {
		if b.got[i].seq < b.got[i-1].seq {
			t.Fatal("held messages were delivered out of order")
		}
	}
	if c := bep.CaughtUp(); !c.Equal(bep.Now()) {
		t.Fatalf("CaughtUp %v after the lag, want now %v", c, bep.Now())
	}
	if !w.Lagged("b", time.Second) || w.Lagged("b", 100*time.Millisecond) || w.Lagged("a", time.Hour) {
		t.Fatal("Lagged does not remember the lag for the window asked")
	}
}
