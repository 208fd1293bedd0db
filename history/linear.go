package history

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// input and output are what porcupine sees of an Op.
type input struct {
	kind  Kind
	value string
}

type output struct {
	unknown bool // Maybe: any result is accepted
	found   bool
	text    string
	n       int64
	list    string // LRANGE: elements joined by listSep
}

// listSep joins list elements into one comparable state: the workload's
// values never contain it.
const listSep = "\x1f"

// regState is a register's value; the zero value is a missing key.
type regState struct {
	found bool
	v     string
}

// listState is a list as its joined elements and its length (kept so
// RPUSH's reply is checked without splitting).
type listState struct {
	joined string
	n      int64
}

func regStep(s regState, in input, out output) (bool, regState) {
	switch in.kind {
	case Set:
		return true, regState{found: true, v: in.value}
	case Get:
		return out.unknown || out.found == s.found && out.text == s.v, s
	}
	return false, s
}

func counterStep(s int64, in input, out output) (bool, int64) {
	switch in.kind {
	case Incr:
		return out.unknown || out.n == s+1, s + 1
	case Get:
		if out.unknown {
			return true, s
		}
		if !out.found {
			return s == 0, s
		}
		v, err := strconv.ParseInt(out.text, 10, 64)
		return err == nil && v == s, s
	}
	return false, s
}

func listStep(s listState, in input, out output) (bool, listState) {
	switch in.kind {
	case RPush:
		next := listState{joined: in.value, n: s.n + 1}
		if s.n > 0 {
			next.joined = s.joined + listSep + in.value
		}
		return out.unknown || out.n == next.n, next
	case LRange:
		return out.unknown || out.list == s.joined, s
	}
	return false, s
}

// model returns the porcupine model of one key's family.
func model(f family) porcupine.Model {
	describe := func(i, o any) string {
		in, out := i.(input), o.(output)
		s := in.kind.String()
		if in.value != "" {
			s += " " + in.value
		}
		switch {
		case out.unknown:
			return s + " -> ?"
		case in.kind == Get && !out.found:
			return s + " -> nil"
		case in.kind == Get:
			return s + " -> " + strconv.Quote(out.text)
		case in.kind == Incr || in.kind == RPush:
			return s + " -> " + strconv.FormatInt(out.n, 10)
		case in.kind == LRange:
			return s + " -> " + abbrevList(splitList(out.list))
		}
		return s + " -> OK"
	}
	m := porcupine.Model{DescribeOperation: describe}
	switch f {
	case counter:
		m.Init = func() any { return int64(0) }
		m.Step = func(s, i, o any) (bool, any) { return counterStep(s.(int64), i.(input), o.(output)) }
		m.DescribeState = func(s any) string { return strconv.FormatInt(s.(int64), 10) }
	case list:
		m.Init = func() any { return listState{} }
		m.Step = func(s, i, o any) (bool, any) { return listStep(s.(listState), i.(input), o.(output)) }
		m.DescribeState = func(s any) string { return abbrevList(splitList(s.(listState).joined)) }
	default:
		m.Init = func() any { return regState{} }
		m.Step = func(s, i, o any) (bool, any) { return regStep(s.(regState), i.(input), o.(output)) }
		m.DescribeState = func(s any) string {
			if r := s.(regState); r.found {
				return strconv.Quote(r.v)
			}
			return "nil"
		}
	}
	return m
}

func splitList(joined string) []string {
	if joined == "" {
		return nil
	}
	return strings.Split(joined, listSep)
}

// operations turns one key's history into porcupine's form, leaving out
// what did not happen (Failed operations) and what tells nothing (reads
// without an answer). It returns the kept ops beside, index for index.
//
// A SET or RPUSH without an answer whose value no read ever returned is
// left out too: porcupine could always place it last, after the final
// reads, where it explains nothing and changes nothing. Each one kept
// doubles the orders porcupine may have to try, so dropping them is what
// keeps a key with an outage in it decidable.
//
// An RPUSH without a known reply whose value a read did return gets the
// reply it must have had: values are unique and the list only grows, so
// an element at index i of any read was appended when the list was i
// long, in every order that explains that read. With its reply known
// porcupine prunes every order that puts it elsewhere at once, instead of
// finding out only at the next read: a partition leaves dozens of
// unconfirmed appends from clients whose WAITs overlap, and their
// interleavings are too many to try (a key of 47 was undecided after
// 20 s). Reads that disagree on an element's index are an anomaly either
// way; the first read's index is used.
func operations(g []Op) ([]porcupine.Operation, []Op) {
	seen := map[string]bool{}
	index := map[string]int{}
	for _, o := range g {
		if o.Outcome != OK {
			continue
		}
		if o.Kind == Get && o.Found {
			seen[o.Text] = true
		}
		for i, e := range o.List {
			seen[e] = true
			if _, ok := index[e]; !ok {
				index[e] = i
			}
		}
	}
	var pops []porcupine.Operation
	var kept []Op
	var t0 time.Time
	if len(g) > 0 {
		t0 = g[0].Call
	}
	for _, o := range g {
		if o.Outcome == Failed || o.Outcome == Maybe && !o.Kind.IsWrite() {
			continue
		}
		if o.Outcome == Maybe && (o.Kind == Set || o.Kind == RPush) && !seen[o.Value] {
			continue
		}
		p := toPorcupine(o, t0)
		if i, ok := index[o.Value]; ok && o.Outcome == Maybe && o.Kind == RPush {
			out := p.Output.(output)
			out.unknown, out.n = false, int64(i)+1
			p.Output = out
		}
		pops = append(pops, p)
		kept = append(kept, o)
	}
	return pops, kept
}

// toPorcupine is one Op as porcupine sees it, its times in nanoseconds
// since t0. Durations, not UnixNano: time.Time.Sub uses the monotonic
// clock when both readings carry it (every time.Now does), so a jump of
// the wall clock during the run (the clock-jump scenario, NTP) cannot
// reorder operations.
func toPorcupine(o Op, t0 time.Time) porcupine.Operation {
	out := output{unknown: o.Outcome == Maybe, found: o.Found, text: o.Text, n: o.N, list: strings.Join(o.List, listSep)}
	ret := int64(o.Return.Sub(t0))
	if o.Outcome == Maybe && !(o.Executed && (o.Kind == Set || o.Kind == RPush)) {
		// It may take effect at any time after its call: porcupine
		// may place it anywhere later, even after the final reads.
		// An executed SET or RPUSH is kept only when a read saw its
		// value (operations), so it did happen, before its Return.
		// (An executed INCR may have been lost unseen: it keeps the
		// open end, its effect not happening at all.)
		ret = math.MaxInt64
	}
	client := o.Client
	if client < 0 {
		client = 0
	}
	return porcupine.Operation{ClientId: client, Input: input{kind: o.Kind, value: o.Value}, Call: int64(o.Call.Sub(t0)), Output: out, Return: ret}
}

// Anomaly is a key whose history is not linearizable (or could not be
// decided in time), with enough context to read.
type Anomaly struct {
	Key     string
	Unknown bool // porcupine ran out of time: not decided
	// The longest order porcupine found that explains the history: the
	// last few of its ops, and the state it leaves.
	Prefix      []Op
	PrefixLen   int
	State       string
	Unexplained []Op // the earliest-returning ops that order cannot take next
}

// Format is the anomaly as text, times relative to t0.
func (a Anomaly) Format(t0 time.Time) string {
	var b strings.Builder
	if a.Unknown {
		fmt.Fprintf(&b, "key %s: linearizability not decided within the time limit\n", a.Key)
		return b.String()
	}
	fmt.Fprintf(&b, "key %s: not linearizable. The longest explainable order has %d ops; its last ones:\n", a.Key, a.PrefixLen)
	for _, o := range a.Prefix {
		fmt.Fprintf(&b, "    %s\n", o.Format(t0))
	}
	fmt.Fprintf(&b, "  leaving the key at %s; none of these can come next:\n", a.State)
	for _, o := range a.Unexplained {
		fmt.Fprintf(&b, "    %s\n", o.Format(t0))
	}
	return b.String()
}

// CheckKey checks one key's history (all its ops, in any order) for
// linearizability within timeout; nil if it is linearizable.
func CheckKey(key string, g []Op, timeout time.Duration) *Anomaly {
	pops, kept := operations(g)
	if len(pops) == 0 {
		return nil
	}
	m := model(familyOf(g))
	res, info := porcupine.CheckOperationsVerbose(m, pops, timeout)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return &Anomaly{Key: key, Unknown: true}
	}
	return explain(key, m, kept, info)
}

// explain picks the longest partial linearization and says what could
// not follow it.
func explain(key string, m porcupine.Model, kept []Op, info porcupine.LinearizationInfo) *Anomaly {
	a := &Anomaly{Key: key}
	var best []int
	for _, part := range info.PartialLinearizations() {
		for _, lin := range part {
			if len(lin) > len(best) {
				best = lin
			}
		}
	}
	a.PrefixLen = len(best)
	in := make([]bool, len(kept))
	state := m.Init()
	for _, id := range best {
		in[id] = true
		o := kept[id]
		p := toPorcupine(o, o.Call) // the step looks at input and output only
		_, state = m.Step(state, p.Input, p.Output)
	}
	a.State = m.DescribeState(state)
	for _, id := range best[max(0, len(best)-4):] {
		a.Prefix = append(a.Prefix, kept[id])
	}
	var rest []Op
	for id, o := range kept {
		if !in[id] {
			rest = append(rest, o)
		}
	}
	// The op that cannot be placed is among those that returned first.
	sortByEnd(rest)
	a.Unexplained = first(rest, 4)
	return a
}

func sortByEnd(ops []Op) {
	sort.SliceStable(ops, func(i, j int) bool { return end(ops[i]).Before(end(ops[j])) })
}
