package sentinel

import (
	"errors"
	"testing"
	"time"
)

// fail fails every command in flight with a transport error, as a link
// that dropped, or whose dial was refused, does.
func (c *heldConn) fail() { c.answer(nil, errors.New("connection refused")) }

func (c *heldConn) pings() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, a := range c.sent {
		if len(a) == 1 && a[0] == "PING" {
			n++
		}
	}
	return n
}

// A dead instance is redialled once a second, as redis-sentinel
// reconnects, not at the PING pace (down-after/4): when a host with a
// thousand masters dies, that pace cost each sentinel thousands of failed
// connects a second while it failed them over. The first PING after a
// drop still goes out at the usual pace (a link that drops reconnects at
// once), also when the drop comes right after a reconnect that worked.
func TestFailedReconnectWaitsASecond(t *testing.T) {
	s, g, ctx, conn, _, i := parkRig(t)
	tm := s.timing()
	pp := g.pingPeriod(tm)
	if tm.PingPeriod <= pp {
		t.Fatalf("rig: PING period %v not shorter than the reconnect period %v", pp, tm.PingPeriod)
	}
	const eps = time.Millisecond
	now := s.clock.Now()
	tick := func(at time.Time) int {
		t.Helper()
		before := conn.pings()
		g.mu.Lock()
		g.sendPeriodic(ctx, i, at, tm)
		g.mu.Unlock()
		return conn.pings() - before
	}

	at := now.Add(pp + eps)
	if tick(at) != 1 {
		t.Fatal("no PING on a live link a PING period after the last answer")
	}
	conn.fail() // the link drops under it
	at = at.Add(pp/2 + eps)
	if tick(at) != 1 {
		t.Fatal("no reconnecting PING half a PING period after the drop")
	}
	conn.fail() // the reconnect is refused
	if n := tick(at.Add(pp + eps)); n != 0 {
		t.Fatalf("%d PINGs (reconnects) a PING period after a failed reconnect, want 0 until a second has passed", n)
	}
	at = at.Add(tm.PingPeriod + eps)
	if tick(at) != 1 {
		t.Fatal("no reconnecting PING a second after the failed one")
	}
	conn.release() // this reconnect works
	g.mu.Lock()
	i.pending++ // a command of the new link fails before the next PING: it drops again
	g.settle(i, i.conn, errors.New("connection reset"))
	g.mu.Unlock()
	at = at.Add(pp/2 + eps)
	if tick(at) != 1 {
		t.Fatal("no reconnecting PING half a PING period after a drop that followed a working reconnect: the once-a-second pace stuck (the simulator's Chaos seed 2842: a sentinel failed closed)")
	}
}
