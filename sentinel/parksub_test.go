package sentinel

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// countingDialer counts pub/sub links opened and closed, and hands out
// the conn the test gives it.
type countingDialer struct {
	mu              sync.Mutex
	conn            redislink.Conn
	opened, stopped int
	last            redislink.SubHandler // the last Subscribe's handler
}

func (d *countingDialer) Dial(redislink.ConnOptions) redislink.Conn { return d.conn }
func (d *countingDialer) Subscribe(_ redislink.ConnOptions, _ string, h redislink.SubHandler) func() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.opened++
	d.last = h
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.stopped++
	}
}

func (d *countingDialer) counts() (opened, stopped int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.opened, d.stopped
}

// parkRig is a group with one replica whose links are open: its command
// link answers when the test releases it (it has answered once, which
// opened the pub/sub link), its pub/sub link is counted.
func parkRig(t *testing.T) (*Sentinel, *group, context.Context, *heldConn, *countingDialer, *instance) {
	t.Helper()
	s, g, ctx, conn, d, i := newLinkRig(t)
	g.mu.Lock()
	g.sendPeriodic(ctx, i, s.clock.Now(), s.timing())
	g.mu.Unlock()
	conn.release()
	if o, _ := d.counts(); o != 1 {
		t.Fatalf("pub/sub link not opened by the command link's first answer: opened %d", o)
	}
	return s, g, ctx, conn, d, i
}

// newLinkRig is a group with one replica whose links were just asked for.
func newLinkRig(t *testing.T) (*Sentinel, *group, context.Context, *heldConn, *countingDialer, *instance) {
	conn := &heldConn{}
	d := &countingDialer{conn: conn}
	s, g, ctx := driverGroup(t, d)
	g.mu.Lock()
	defer g.mu.Unlock()
	r := failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
	i := inst(r)
	g.ensureLink(i)
	return s, g, ctx, conn, d, i
}

// A new instance's pub/sub link opens when its command link first
// answers, not beside it: an instance that never answers (the replica
// entry a failover leaves at a dead old master's address, a thousand at
// once when a host with a thousand masters dies) costs one connect a
// period, not two.
func TestPubSubOpensWhenCommandLinkAnswers(t *testing.T) {
	s, g, ctx, conn, d, i := newLinkRig(t)
	g.mu.Lock()
	g.sendPeriodic(ctx, i, s.clock.Now(), s.timing())
	g.mu.Unlock()
	if o, _ := d.counts(); o != 0 {
		t.Fatalf("pub/sub link opened before the command link answered: opened %d", o)
	}
	conn.release()
	if o, _ := d.counts(); o != 1 || i.sub.stop == nil {
		t.Fatalf("pub/sub link not opened when the command link answered: opened %d", o)
	}
}

// A second after a drop, a pub/sub link reconnects only while the command
// link is up; with both down it is parked without a dial, and opened
// again when the command link answers.
func TestPubSubRetryParksWhileCommandLinkDown(t *testing.T) {
	s, g, ctx, conn, d, i := parkRig(t)
	d.mu.Lock()
	h := d.last
	d.mu.Unlock()
	h.Dropped()
	if !h.Retry() {
		t.Fatal("pub/sub link of an answering instance not retried")
	}
	if _, st := d.counts(); st != 0 {
		t.Fatalf("stopped %d", st)
	}
	g.mu.Lock()
	i.Disconnected = true
	g.mu.Unlock()
	if h.Retry() {
		t.Fatal("pub/sub link retried while the command link is down")
	}
	if _, st := d.counts(); st != 1 || i.sub.stop != nil {
		t.Fatalf("pub/sub link not parked: stopped %d", st)
	}
	g.mu.Lock()
	g.sendPeriodic(ctx, i, s.clock.Now().Add(2*time.Second), s.timing()) // the reconnecting PING
	g.mu.Unlock()
	mustReopen(t, conn, d, 1)
}

// mustReopen answers the command link (the PING the tick sent) and wants
// the parked pub/sub link opened again.
func mustReopen(t *testing.T, conn *heldConn, d *countingDialer, opened int) {
	t.Helper()
	conn.release()
	if o, _ := d.counts(); o != opened+1 {
		t.Fatalf("pub/sub link not reopened when the instance answered: opened %d, want %d", o, opened+1)
	}
}

// An instance that is subjectively down with both links down keeps only
// its command link's once-a-second reconnect (the PING): its pub/sub
// link is closed, not redialled beside it, and reopened the moment the
// command link answers. A dead machine of 1,000 masters cost each
// sentinel 2,000 failed connects a second, now 1,000.
func TestPubSubParkedWhileInstanceDown(t *testing.T) {
	s, g, ctx, conn, d, i := parkRig(t)
	opened, _ := d.counts()
	g.mu.Lock()
	// Down, both links down: parked at its next tick.
	i.Disconnected = true
	i.Flags |= failover.FlagSDown
	g.sendPeriodic(ctx, i, s.clock.Now().Add(10*g.downAfter()), s.timing())
	g.mu.Unlock()
	if o, st := d.counts(); o != opened || st != 1 || i.sub.stop != nil {
		t.Fatalf("pub/sub link of a down instance: opened %d (was %d), stopped %d", o, opened, st)
	}
	// Its command link answers (the PING the tick sent): hellos again.
	mustReopen(t, conn, d, opened)
	// An instance that is up keeps its pub/sub link whatever its flags.
	g.mu.Lock()
	i.Disconnected = false
	g.sendPeriodic(ctx, i, s.clock.Now(), s.timing())
	g.mu.Unlock()
	if _, st := d.counts(); st != 1 {
		t.Fatalf("pub/sub link of a live instance closed: stopped %d", st)
	}
}

// Before the instance is down, when both links fail (a host with 1,000
// masters has just died) the pub/sub link is parked too: it used to
// redial once a second beside the command link's redials until the
// instance was subjectively down, and again for the replica entry a
// failover leaves at the old master's address. Not while it is still
// being opened: that dial is the instance's first.
func TestPubSubParkedWhenBothLinksFail(t *testing.T) {
	s, g, ctx, conn, d, i := parkRig(t)
	opened, _ := d.counts()
	g.mu.Lock()
	i.Disconnected = true
	g.sendPeriodic(ctx, i, s.clock.Now(), s.timing())
	g.mu.Unlock()
	if _, st := d.counts(); st != 0 || i.sub.stop == nil {
		t.Fatalf("pub/sub link closed while its first dial was under way: stopped %d", st)
	}
	d.mu.Lock()
	h := d.last
	d.mu.Unlock()
	h.Dropped() // its dial failed; it would retry in a second
	g.mu.Lock()
	g.sendPeriodic(ctx, i, s.clock.Now().Add(time.Second), s.timing())
	g.mu.Unlock()
	if o, st := d.counts(); o != opened || st != 1 || i.sub.stop != nil {
		t.Fatalf("pub/sub link of an instance with both links down: opened %d (was %d), stopped %d", o, opened, st)
	}
	mustReopen(t, conn, d, opened)
	// A pub/sub link that drops while the command link is up retries
	// on its own, as before.
	d.mu.Lock()
	h = d.last
	d.mu.Unlock()
	h.Dropped()
	g.mu.Lock()
	i.Disconnected = false
	g.sendPeriodic(ctx, i, s.clock.Now().Add(2*time.Second), s.timing())
	g.mu.Unlock()
	if _, st := d.counts(); st != 1 {
		t.Fatalf("pub/sub link of a live instance parked: stopped %d", st)
	}
}
