package failover

import (
	"testing"
	"time"
)

// A Stamp gives back the instant it was made from: the zero time, the
// node's creation itself, instants before and after it, on a clock with a
// monotonic reading (production's) and without one (the simulator's).
func TestStampRoundTrip(t *testing.T) {
	for _, created := range []time.Time{time.Now(), time.Unix(1_000_000_000, 0).UTC()} {
		n := NewNode(KindMaster, "m", Addr{Host: "10.0.0.1", Port: 6379}, created)
		if s := n.Stamp(time.Time{}); s != 0 || !n.At(s).IsZero() {
			t.Fatalf("zero time: stamp %d, back %v", s, n.At(s))
		}
		for _, d := range []time.Duration{0, 1, -1, time.Millisecond, -3 * time.Second, 90 * 24 * time.Hour, -40 * 365 * 24 * time.Hour} {
			at := created.Add(d)
			s := n.Stamp(at)
			if s.IsZero() {
				t.Fatalf("%v after creation: stamp is zero (never)", d)
			}
			if back := n.At(s); !back.Equal(at) || back.Sub(created) != d {
				t.Fatalf("%v after creation: back %v (%v after), want %v", d, back, back.Sub(created), at)
			}
		}
		// A fresh node's instants are its creation (NewNode sets them to createdStamp,
		// which is what Stamp gives for the creation).
		if n.Stamp(created) != createdStamp || !n.At(n.LastAvail).Equal(created) || !n.At(n.ActPing).Equal(created) {
			t.Fatalf("new node: last reply %v, pinged %v; want %v", n.At(n.LastAvail), n.At(n.ActPing), created)
		}
	}
}

// Durations between stamps come from the monotonic clock when the node's
// base has one, as they did with time.Time fields: a wall-clock step
// between two readings changes nothing.
func TestStampKeepsTheMonotonicClock(t *testing.T) {
	created := time.Now()
	n := NewNode(KindSentinel, "peer", Addr{Host: "10.0.0.2", Port: 26379}, created)
	later := created.Add(1500 * time.Millisecond)
	back := n.At(n.Stamp(later))
	if back == back.Round(0) { // Round(0) strips the monotonic reading
		t.Fatalf("%v has no monotonic reading", back)
	}
	if got := back.Sub(created); got != 1500*time.Millisecond {
		t.Fatalf("elapsed %v, want 1.5s", got)
	}
}
