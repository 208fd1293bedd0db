package failover

import (
	"math"
	"time"
)

// Stamp is one of a Node's instants in 8 bytes: nanoseconds after the
// node's creation, plus one so that 0 stays "never" (the zero time.Time).
// A time.Time is 24 bytes (wall clock, monotonic clock, location) and a
// Node keeps sixteen instants: at 5,000 masters with two peers each
// (15,000 nodes) they were 5.8 MB of a 32 MB live heap. The base is the
// node's creation time, a whole time.Time from the driver's clock, so
// instants keep its monotonic reading: a step of the wall clock moves no
// deadline, as before. Read one with Node.At, write one with Node.Stamp.
type Stamp int64

// createdStamp is a node's creation as one of its Stamps: what Stamp gives
// for n.Created, which NewNode sets its first instants to.
const createdStamp Stamp = 1

// IsZero reports whether s is "never".
func (s Stamp) IsZero() bool { return s == 0 }

// Stamp is t as one of n's instants; the zero time is 0.
func (n *Node) Stamp(t time.Time) Stamp {
	if t.IsZero() {
		return 0
	}
	d := t.Sub(n.Created)
	if d < 0 || d == math.MaxInt64 { // before the node, or beyond Sub's range
		return Stamp(d)
	}
	return Stamp(d) + 1
}

// At is n's instant s as a time; 0 is the zero time.
func (n *Node) At(s Stamp) time.Time {
	switch {
	case s == 0:
		return time.Time{}
	case s > 0 && s != math.MaxInt64:
		s--
	}
	return n.Created.Add(time.Duration(s))
}
