package history

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// h builds hand-made histories: times are milliseconds from a base.
type h struct {
	t0  time.Time
	ops []Op
}

func newH() *h { return &h{t0: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)} }

func (h *h) at(ms int) time.Time { return h.t0.Add(time.Duration(ms) * time.Millisecond) }

func (h *h) add(client int, call, ret int, kind Kind, key string, f func(*Op)) *h {
	o := Op{Client: client, Key: key, Kind: kind, Call: h.at(call), Return: h.at(ret), Outcome: OK}
	if f != nil {
		f(&o)
	}
	h.ops = append(h.ops, o)
	return h
}

func (h *h) set(c, call, ret int, key, v string) *h {
	return h.add(c, call, ret, Set, key, func(o *Op) { o.Value = v })
}

func (h *h) get(c, call, ret int, key, v string) *h {
	return h.add(c, call, ret, Get, key, func(o *Op) { o.Found, o.Text = v != "", v })
}

func (h *h) push(c, call, ret int, key, v string, n int64) *h {
	return h.add(c, call, ret, RPush, key, func(o *Op) { o.Value, o.N = v, n })
}

func (h *h) lrange(c, call, ret int, key string, l ...string) *h {
	return h.add(c, call, ret, LRange, key, func(o *Op) { o.List = l })
}

func (h *h) incr(c, call, ret int, key string, n int64) *h {
	return h.add(c, call, ret, Incr, key, func(o *Op) { o.N = n })
}

// outcome changes the last op's outcome.
func (h *h) outcome(out Outcome) *h {
	o := &h.ops[len(h.ops)-1]
	o.Outcome, o.Err = out, "i/o timeout"
	o.Found, o.Text, o.N, o.List = false, "", 0, nil
	return h
}

func TestLinearizableHistoriesPass(t *testing.T) {
	cases := map[string]*h{
		"concurrent sets, reads see one of them": newH().
			set(1, 0, 10, "r", "a").
			set(2, 5, 15, "r", "b").
			get(3, 6, 8, "r", "a"). // a linearized before b
			get(3, 20, 21, "r", "b").
			get(FinalClient, 100, 101, "r", "b"),
		"a maybe write absent from the final state": newH().
			set(1, 0, 10, "r", "a").
			set(2, 20, 30, "r", "b").outcome(Maybe).
			get(FinalClient, 100, 101, "r", "a"),
		"a maybe write present, seen late": newH().
			set(1, 0, 10, "r", "a").
			set(2, 20, 30, "r", "b").outcome(Maybe).
			get(3, 40, 41, "r", "a").
			get(FinalClient, 100, 101, "r", "b"),
		"a refused write leaves no trace": newH().
			set(1, 0, 10, "r", "a").
			set(2, 20, 30, "r", "b").outcome(Failed).
			get(FinalClient, 100, 101, "r", "a"),
		"counter": newH().
			incr(1, 0, 10, "c", 1).
			incr(2, 5, 12, "c", 2).
			incr(1, 20, 30, "c", 3).outcome(Maybe).
			get(FinalClient, 100, 101, "c", "3"),
		"list with concurrent appends": newH().
			push(1, 0, 10, "l", "x", 1).
			push(2, 2, 11, "l", "y", 2).
			lrange(3, 3, 4, "l", "x").
			push(1, 20, 30, "l", "z", 3).outcome(Maybe).
			lrange(FinalClient, 100, 101, "l", "x", "y"),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := Check(c.ops)
			if !r.OK() {
				t.Fatalf("want a clean history, got:\n%s", r.Report())
			}
		})
	}
}

func TestLostWriteFails(t *testing.T) {
	c := newH().
		set(1, 0, 10, "r", "a").
		set(2, 20, 30, "r", "b").
		get(FinalClient, 100, 101, "r", "a") // b came after a finished: lost
	r := Check(c.ops)
	if len(r.Lost.Lost) != 1 || r.Lost.Lost[0].Value != "b" {
		t.Fatalf("want b lost, got:\n%s", r.Report())
	}
	if len(r.Anomalies) != 1 || r.Anomalies[0].Key != "r" {
		t.Fatalf("want key r not linearizable, got:\n%s", r.Report())
	}
	rep := r.Report()
	for _, want := range []string{"lost acknowledged writes: 1", "client 2: SET r b -> OK", "by client: 2: 1 (+0.030s .. +0.030s)",
		"final read: GET r -> \"a\"", "key r: not linearizable"} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q:\n%s", want, rep)
		}
	}
}

func TestStaleReadFails(t *testing.T) {
	c := newH().
		set(1, 0, 10, "r", "a").
		set(2, 20, 30, "r", "b").
		get(3, 40, 50, "r", "a"). // b was acknowledged before: stale
		get(FinalClient, 100, 101, "r", "b")
	r := Check(c.ops)
	if len(r.Lost.Lost) != 0 {
		t.Errorf("nothing is lost, got:\n%s", r.Report())
	}
	if len(r.Anomalies) != 1 {
		t.Fatalf("want the stale read found, got:\n%s", r.Report())
	}
	if s := r.Anomalies[0].Format(r.T0); !strings.Contains(s, `client 3: GET r -> "a"`) {
		t.Errorf("the report should name the stale read:\n%s", s)
	}
}

func TestDuplicateFails(t *testing.T) {
	c := newH().
		push(1, 0, 10, "l", "x", 1).
		push(2, 20, 30, "l", "y", 2).
		lrange(FinalClient, 100, 101, "l", "x", "y", "x")
	r := Check(c.ops)
	if len(r.Lost.Other) != 1 || !strings.Contains(r.Lost.Other[0], "twice: x") {
		t.Errorf("want the duplicate x reported, got %q", r.Lost.Other)
	}
	if len(r.Anomalies) != 1 {
		t.Fatalf("want key l not linearizable, got:\n%s", r.Report())
	}
}

func TestLostListElementAndCounter(t *testing.T) {
	c := newH().
		push(1, 0, 10, "l", "x", 1).
		push(2, 20, 30, "l", "y", 2).
		lrange(FinalClient, 100, 101, "l", "x").
		incr(1, 0, 10, "c", 1).
		incr(2, 20, 30, "c", 2).
		incr(1, 40, 50, "c", 3).
		get(FinalClient, 100, 101, "c", "1")
	r := Check(c.ops)
	var lost []string
	for _, o := range r.Lost.Lost {
		lost = append(lost, o.Key+"/"+o.Value+"/"+o.Kind.String())
	}
	sort.Strings(lost)
	if got := strings.Join(lost, " "); got != "c//INCR c//INCR l/y/RPUSH" {
		t.Errorf("lost %q", got)
	}
	if len(r.Anomalies) != 2 {
		t.Errorf("want both keys not linearizable, got:\n%s", r.Report())
	}
}

func TestRefusedWriteVisibleFails(t *testing.T) {
	c := newH().
		set(1, 0, 10, "r", "a").
		set(2, 20, 30, "r", "b").outcome(Failed).
		get(FinalClient, 100, 101, "r", "b")
	r := Check(c.ops)
	if r.OK() || len(r.Lost.Other) != 1 {
		t.Fatalf("a refused write in the final state must be reported, got:\n%s", r.Report())
	}
}

func TestNoFinalReadIsALoss(t *testing.T) {
	r := Check(newH().set(1, 0, 10, "r", "a").ops)
	if len(r.Lost.Lost) != 1 || len(r.Lost.Other) != 1 {
		t.Fatalf("a written key without a final read must not pass, got:\n%s", r.Report())
	}
}

func TestRecorderIsBounded(t *testing.T) {
	rec := NewRecorder(2)
	for i := range 3 {
		rec.Add(Op{Key: "k", Call: time.Unix(int64(10-i), 0)})
	}
	ops := rec.Ops()
	if len(ops) != 2 || rec.Dropped() != 1 || !ops[0].Call.Before(ops[1].Call) {
		t.Fatalf("ops %v dropped %d", ops, rec.Dropped())
	}
}

func TestLongestGap(t *testing.T) {
	c := newH().
		set(1, 0, 10, "r", "a").
		set(1, 20, 30, "r", "b").
		get(1, 40, 900, "r", "b"). // reads do not count
		set(1, 31, 500, "r", "c").outcome(Maybe).
		set(1, 600, 700, "r", "d")
	if g := LongestGap(c.ops, c.at(0), c.at(1000)); g != 670*time.Millisecond {
		t.Errorf("gap %v, want 670ms (30 -> 700)", g)
	}
}

// An outage leaves many writes without an answer; unobserved ones must
// not make the check exponential (60 of them would be 2^60 orders).
func TestManyMaybeWritesStayDecidable(t *testing.T) {
	c := newH().set(1, 0, 10, "r", "a")
	for i := range 60 {
		c.set(2+i%5, 20+i, 25+i, "r", "m"+strings.Repeat("x", i)).outcome(Maybe)
	}
	c.get(1, 200, 201, "r", "a").get(FinalClient, 300, 301, "r", "a")
	start := time.Now()
	r := Check(c.ops)
	if !r.OK() || time.Since(start) > 2*time.Second {
		t.Fatalf("took %v:\n%s", time.Since(start), r.Report())
	}
}

// A write the server executed without WAIT confirming it (Executed) that
// a read saw happened before its Return: many of them in a long outage
// stay decidable, and one seen and then gone is an anomaly, as for an
// acknowledged write.
func TestExecutedMaybeWrites(t *testing.T) {
	c := newH()
	var l []string
	for i := range 80 {
		v := "e" + strings.Repeat("x", i)
		l = append(l, v)
		c.push(1+i%6, 10*i, 10*i+5, "l", v, int64(i+1)).outcome(Maybe)
		c.ops[len(c.ops)-1].Executed = true
		c.lrange(7, 10*i+6, 10*i+7, "l", append([]string(nil), l...)...)
	}
	c.lrange(FinalClient, 2000, 2001, "l", l...)
	start := time.Now()
	if r := Check(c.ops); !r.OK() || time.Since(start) > 2*time.Second {
		t.Fatalf("took %v:\n%s", time.Since(start), r.Report())
	}

	gone := newH().push(1, 0, 10, "l", "a", 1).outcome(Maybe)
	gone.ops[0].Executed = true
	gone.lrange(2, 20, 30, "l", "a").lrange(FinalClient, 40, 50, "l")
	if r := Check(gone.ops); len(r.Anomalies) != 1 || len(r.Lost.Lost) != 0 {
		t.Errorf("an executed append seen, then gone: want one anomaly, no acknowledged loss:\n%s", r.Report())
	}

	// Unanswered, the append may land late (after the empty read);
	// executed, it landed before its Return, so the empty read is stale.
	late := func(executed bool) Result {
		c := newH().push(1, 0, 10, "l", "a", 1).outcome(Maybe)
		c.ops[0].Executed = executed
		c.lrange(2, 20, 30, "l").lrange(FinalClient, 40, 50, "l", "a")
		return Check(c.ops)
	}
	if r := late(false); !r.OK() {
		t.Errorf("an unanswered append seen late: want linearizable:\n%s", r.Report())
	}
	if r := late(true); len(r.Anomalies) != 1 {
		t.Errorf("an executed append missed by a later read: want one anomaly:\n%s", r.Report())
	}
}

// Overlapping unconfirmed appends (a partition: every client's WAIT
// times out, so each append is open for 250 ms beside five others') with
// no read until the final one: porcupine alone had to try their
// interleavings (a real key of 47 was undecided after 20 s); with each
// append's reply taken from its index in the final read it is decided at
// once, and an element out of its possible place is still an anomaly.
func TestOverlappingMaybeAppendsStayDecidable(t *testing.T) {
	build := func(swap bool) []Op {
		c := newH()
		var l []string
		for i := range 60 {
			v := "o" + strings.Repeat("x", i)
			l = append(l, v)
			c.push(1+i%6, 40*i, 40*i+250, "l", v, 0).outcome(Maybe)
			c.ops[len(c.ops)-1].Executed = i%2 == 0
		}
		if swap {
			// The first element appended listed last: its append
			// returned long before the others were called.
			l = append(l[1:], l[0])
		}
		c.lrange(FinalClient, 5000, 5001, "l", l...)
		return c.ops
	}
	start := time.Now()
	if r := Check(build(false)); !r.OK() || time.Since(start) > 2*time.Second {
		t.Fatalf("took %v:\n%s", time.Since(start), r.Report())
	}
	if r := Check(build(true)); len(r.Anomalies) != 1 || r.Undecided != 0 {
		t.Errorf("an element out of its place: want one decided anomaly:\n%s", r.Report())
	}
}
