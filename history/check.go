package history

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Result is a checked history.
type Result struct {
	Ops       int // operations recorded (final reads included)
	Acked     int // acknowledged writes
	Failed    int // operations refused
	Maybe     int // operations without an answer
	Lost      LostReport
	Anomalies []Anomaly // keys that are not linearizable (or undecided)
	Undecided int       // of Anomalies, those porcupine could not decide in time
	T0        time.Time // the first invocation, for relative times
}

// KeyTimeout bounds porcupine per key. The workload keeps every key to a
// few hundred operations, which porcupine decides in milliseconds; a
// timeout is reported as undecided, never as linearizable.
const KeyTimeout = 20 * time.Second

// Check runs both checkers over a history.
func Check(ops []Op) Result {
	r := Result{Ops: len(ops)}
	for _, o := range ops {
		if r.T0.IsZero() || o.Call.Before(r.T0) {
			r.T0 = o.Call
		}
		switch o.Outcome {
		case Failed:
			r.Failed++
		case Maybe:
			r.Maybe++
		}
	}
	r.Lost = CountLost(ops)
	r.Acked = r.Lost.Acked
	keys, groups := byKey(ops)
	for _, k := range keys {
		if a := CheckKey(k, groups[k], KeyTimeout); a != nil {
			r.Anomalies = append(r.Anomalies, *a)
			if a.Unknown {
				r.Undecided++
			}
		}
	}
	return r
}

// OK reports whether nothing was lost and every key is linearizable.
func (r Result) OK() bool {
	return len(r.Lost.Lost) == 0 && len(r.Lost.Other) == 0 && len(r.Anomalies) == 0
}

// Report is a readable summary: the counts, the first lost writes and the
// first anomaly with the operations around it.
func (r Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d operations, %d acknowledged writes, %d refused, %d without an answer\n", r.Ops, r.Acked, r.Failed, r.Maybe)
	fmt.Fprintf(&b, "lost acknowledged writes: %d\n", len(r.Lost.Lost))
	for _, o := range first(r.Lost.Lost, 5) {
		fmt.Fprintf(&b, "    %s\n", o.Format(r.T0))
	}
	for _, s := range first(r.Lost.Other, 5) {
		fmt.Fprintf(&b, "  %s\n", s)
	}
	if by := lostByClient(r.Lost.Lost, r.T0); by != "" {
		b.WriteString("  by client: " + by + "\n")
	}
	fmt.Fprintf(&b, "keys not linearizable: %d (undecided %d)\n", len(r.Anomalies), r.Undecided)
	if len(r.Anomalies) > 0 {
		b.WriteString("first anomaly: " + r.Anomalies[0].Format(r.T0))
	}
	return b.String()
}

// lostByClient says which clients lost how many writes, acknowledged
// between which times: a client that kept writing to a cut-off master
// (one that asked a cut-off sentinel) shows apart from a window that
// every client shared.
func lostByClient(lost []Op, t0 time.Time) string {
	type span struct {
		n         int
		from, til time.Time
	}
	by := map[int]*span{}
	var ids []int
	for _, o := range lost {
		s := by[o.Client]
		if s == nil {
			s = &span{from: o.Return, til: o.Return}
			by[o.Client] = s
			ids = append(ids, o.Client)
		}
		s.n++
		if o.Return.Before(s.from) {
			s.from = o.Return
		}
		if o.Return.After(s.til) {
			s.til = o.Return
		}
	}
	sort.Ints(ids)
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		s := by[id]
		parts = append(parts, fmt.Sprintf("%d: %d (+%.3fs .. +%.3fs)", id, s.n, s.from.Sub(t0).Seconds(), s.til.Sub(t0).Seconds()))
	}
	return strings.Join(parts, ", ")
}

// LongestGap is the longest time within [from, to] during which no write
// was acknowledged: the clients' unavailability.
func LongestGap(ops []Op, from, to time.Time) time.Duration {
	var acks []time.Time
	for _, o := range ops {
		if o.Kind.IsWrite() && o.Outcome == OK && o.Client != FinalClient && !o.Return.Before(from) && !o.Return.After(to) {
			acks = append(acks, o.Return)
		}
	}
	sortTimes(acks)
	var gap time.Duration
	prev := from
	for _, t := range append(acks, to) {
		gap = max(gap, t.Sub(prev))
		prev = t
	}
	return gap
}
