package history

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// LostReport is the lost-write counter's verdict.
type LostReport struct {
	Acked int  // acknowledged writes checked
	Lost  []Op // acknowledged writes the final state lacks, by invocation
	// Anomalies the final state shows besides losses: a list element twice,
	// a value no write made, a written key with no final read.
	Other []string
}

// Keys families: the workload names keys "<family>:<n>"; the checker goes
// by the operations a key saw instead, so any names work.
type family uint8

const (
	register family = iota + 1
	counter
	list
)

func familyOf(ops []Op) family {
	for _, o := range ops {
		switch o.Kind {
		case RPush, LRange:
			return list
		case Incr:
			return counter
		}
	}
	return register
}

// byKey groups a history by key, keeping each group in invocation order.
func byKey(ops []Op) (keys []string, groups map[string][]Op) {
	groups = map[string][]Op{}
	for _, o := range ops {
		if _, ok := groups[o.Key]; !ok {
			keys = append(keys, o.Key)
		}
		groups[o.Key] = append(groups[o.Key], o)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := groups[k]
		sort.SliceStable(g, func(i, j int) bool { return g[i].Call.Before(g[j].Call) })
	}
	return keys, groups
}

// CountLost checks that every acknowledged write is in the final state,
// read by the FinalClient operations of the history.
func CountLost(ops []Op) LostReport {
	var r LostReport
	keys, groups := byKey(ops)
	for _, k := range keys {
		g := groups[k]
		var acked []Op
		var final *Op
		for i := range g {
			o := &g[i]
			if o.Client == FinalClient && o.Outcome == OK && !o.Kind.IsWrite() {
				final = o
			} else if o.Kind.IsWrite() && o.Outcome == OK {
				acked = append(acked, *o)
			}
		}
		r.Acked += len(acked)
		if len(acked) == 0 {
			continue
		}
		if final == nil {
			r.Other = append(r.Other, fmt.Sprintf("%s: %d acknowledged writes but no final read", k, len(acked)))
			r.Lost = append(r.Lost, acked...)
			continue
		}
		var lost []Op
		var other []string
		switch familyOf(g) {
		case register:
			lost, other = lostRegister(g, acked, *final)
		case counter:
			lost, other = lostCounter(acked, *final)
		case list:
			lost, other = lostList(g, acked, *final)
		}
		r.Lost = append(r.Lost, lost...)
		r.Other = append(r.Other, other...)
	}
	sort.SliceStable(r.Lost, func(i, j int) bool { return r.Lost[i].Call.Before(r.Lost[j].Call) })
	return r
}

// end is when an operation's effect is known to have happened by: its
// return if acknowledged, never if its outcome is unknown.
func end(o Op) time.Time {
	if o.Outcome == Maybe {
		return time.Unix(1<<40, 0)
	}
	return o.Return
}

// lostRegister: an acknowledged SET w is lost if the final value is
// missing, or was written by a SET that completed before w was invoked
// (w must have overwritten it).
func lostRegister(g, acked []Op, final Op) (lost []Op, other []string) {
	if !final.Found {
		return acked, nil
	}
	var writer *Op
	for i := range g {
		if g[i].Kind == Set && g[i].Value == final.Text && g[i].Outcome != Failed {
			writer = &g[i]
		}
	}
	if writer == nil {
		return acked, []string{fmt.Sprintf("%s: final value %q was written by no SET", final.Key, final.Text)}
	}
	for _, w := range acked {
		if w.Value != writer.Value && end(*writer).Before(w.Call) {
			lost = append(lost, w)
		}
	}
	return lost, nil
}

// lostCounter: the final value v must be at least every value an
// acknowledged INCR returned and at least the number of acknowledged
// INCRs; the INCRs above it are lost, highest first.
func lostCounter(acked []Op, final Op) (lost []Op, other []string) {
	var v int64
	if final.Found {
		n, err := strconv.ParseInt(final.Text, 10, 64)
		if err != nil {
			return acked, []string{fmt.Sprintf("%s: final value %q is not a counter", final.Key, final.Text)}
		}
		v = n
	}
	sort.SliceStable(acked, func(i, j int) bool { return acked[i].N > acked[j].N })
	above := 0
	for _, o := range acked {
		if o.N > v {
			above++
		}
	}
	n := max(above, len(acked)-int(max(v, 0)))
	return acked[:n], nil
}

// lostList: every acknowledged RPUSH's element must be in the final list,
// once; an element no RPUSH wrote is an anomaly.
func lostList(g, acked []Op, final Op) (lost []Op, other []string) {
	seen := map[string]int{}
	for _, e := range final.List {
		seen[e]++
	}
	written := map[string]bool{}
	for _, o := range g {
		if o.Kind == RPush && o.Outcome != Failed {
			written[o.Value] = true
		}
	}
	for _, w := range acked {
		if seen[w.Value] == 0 {
			lost = append(lost, w)
		}
	}
	var dups, strangers []string
	for _, e := range final.List {
		if seen[e] > 1 {
			dups = append(dups, e)
			seen[e] = 1 // report once
		}
		if !written[e] {
			strangers = append(strangers, e)
		}
	}
	if len(dups) > 0 {
		other = append(other, fmt.Sprintf("%s: elements appended once are there twice: %s", final.Key, strings.Join(first(dups, 5), " ")))
	}
	if len(strangers) > 0 {
		other = append(other, fmt.Sprintf("%s: elements no RPUSH wrote: %s", final.Key, strings.Join(first(strangers, 5), " ")))
	}
	return lost, other
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
