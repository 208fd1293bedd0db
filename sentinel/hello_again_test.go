package sentinel

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// driverGroup is a sentinel watching mymaster on d, not started: its
// group, with a context the test's end cancels, to drive by hand.
func driverGroup(t *testing.T, d redislink.Dialer) (*Sentinel, *group, context.Context) {
	t.Helper()
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: d, Logger: quiet, Store: &memStore{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g := s.group("mymaster")
	g.mu.Lock()
	g.ctx = ctx
	g.mu.Unlock()
	return s, g, ctx
}

// heldConn is an AsyncConn whose replies the test releases: a hello in
// flight stays in flight until then.
type heldConn struct {
	mu   sync.Mutex
	sent [][]any
	cbs  []func(any, error)
}

func (c *heldConn) Do(context.Context, ...any) (any, error) { return "OK", nil }
func (c *heldConn) LocalIP() string                         { return "127.0.0.1" }
func (c *heldConn) Close() error                            { return nil }
func (c *heldConn) Send(_ time.Duration, cb func(any, error), args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, args)
	c.cbs = append(c.cbs, cb)
}

// release answers every command in flight.
func (c *heldConn) release() { c.answer(int64(1), nil) }

// answer gives every command in flight reply v, or err.
func (c *heldConn) answer(v any, err error) {
	c.mu.Lock()
	cbs := c.cbs
	c.cbs = nil
	c.mu.Unlock()
	for _, cb := range cbs {
		cb(v, err)
	}
}

func (c *heldConn) hellos() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, a := range c.sent {
		if len(a) == 3 && a[0] == "PUBLISH" {
			out = append(out, a[2].(string))
		}
	}
	return out
}

// A configuration announced while a hello is in flight to a peer goes to
// that peer as soon as the old hello is answered, not a publish period
// later (BENCHMARKS.md "Per sentinel": a client subscribed to that peer
// would hear the switch up to 2 s late).
func TestAnnounceWhileHelloInFlight(t *testing.T) {
	s, g, ctx := driverGroup(t, redislink.NewFakeNet())
	conn := &heldConn{}
	g.mu.Lock()
	peer := failover.NewNode(failover.KindSentinel, "peer", Addr{Host: "127.0.0.1", Port: 26380}, s.clock.Now())
	peer.RunID = "0000000000000000000000000000000000000001"
	g.m.Sentinels[peer.RunID] = peer
	i := inst(peer)
	i.conn = conn
	g.sendHello(ctx, i) // the periodic hello, old configuration
	g.m.ConfigEpoch = 7 // a failover ended meanwhile
	g.forceHello(ctx)
	g.mu.Unlock()
	if h := conn.hellos(); len(h) != 1 {
		t.Fatalf("hellos before the reply: %q, want the one in flight", h)
	}
	conn.release()
	h := conn.hellos()
	if len(h) != 2 || !strings.HasSuffix(h[1], ",7") {
		t.Fatalf("hellos after the reply: %q, want a second one with config epoch 7", h)
	}
}
