package sim

import (
	"fmt"
	"strings"
	"time"
)

// Trace keeps the last lines the world wrote (a ring) and a hash of every
// line ever written, so two runs can be compared without keeping them
// whole: same seed, same scenario → same Sum.
type Trace struct {
	start time.Time
	ring  []string
	next  int
	total int
	sum   uint64
}

// newTrace keeps up to keep lines (at least one).
func newTrace(start time.Time, keep int) *Trace {
	return &Trace{start: start, ring: make([]string, max(keep, 1)), sum: fnvOffset}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// add writes one line stamped with the time since the world's start.
func (t *Trace) add(now time.Time, line string) {
	l := fmt.Sprintf("%11.6fs %s", now.Sub(t.start).Seconds(), line)
	t.mixString(l)
	t.mixByte('\n')
	t.ring[t.next] = l
	t.next = (t.next + 1) % len(t.ring)
	t.total++
}

// addLean is add for a lean world: no line is formatted or kept, the sum
// mixes the time, the format and the arguments' cheap parts. Sums of lean
// and full traces differ; two lean runs of one seed still compare.
func (t *Trace) addLean(now time.Time, format string, args []any) {
	t.mixUint(uint64(now.Sub(t.start)))
	t.mixString(format)
	for _, a := range args {
		switch a := a.(type) {
		case string:
			t.mixString(a)
		case Command:
			t.mixString(a.Conn)
			t.mixUint(a.Seq)
			for _, s := range a.Args {
				t.mixString(s)
			}
		case Reply:
			t.mixString(a.Conn)
			t.mixUint(a.Seq)
		case uint64:
			t.mixUint(a)
		case int:
			t.mixUint(uint64(a))
		}
	}
	t.total++
}

// FNV-1a inline: hash/fnv would allocate a hasher per line.
func (t *Trace) mixByte(b byte) {
	t.sum ^= uint64(b)
	t.sum *= fnvPrime
}

func (t *Trace) mixString(s string) {
	for i := 0; i < len(s); i++ {
		t.mixByte(s[i])
	}
}

func (t *Trace) mixUint(u uint64) {
	for i := 0; i < 8; i++ {
		t.mixByte(byte(u >> (8 * i)))
	}
}

// Sum is the FNV-1a hash of every line written so far, newline-terminated.
func (t *Trace) Sum() uint64 { return t.sum }

// Total is how many lines were written, kept or not.
func (t *Trace) Total() int { return t.total }

// Last returns up to n of the most recent lines, oldest first.
func (t *Trace) Last(n int) []string {
	kept := min(t.total, len(t.ring))
	n = min(n, kept)
	out := make([]string, 0, n)
	for i := n; i > 0; i-- {
		out = append(out, t.ring[(t.next-i+len(t.ring))%len(t.ring)])
	}
	return out
}

// String is the last kept lines, one per line.
func (t *Trace) String() string {
	lines := t.Last(len(t.ring))
	var b strings.Builder
	if t.total > len(lines) {
		fmt.Fprintf(&b, "... %d earlier lines not kept\n", t.total-len(lines))
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
