package sentinel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// freshDialer gives a new held connection at every Dial, as a real
// dialer does: replies on a closed link come from another Conn than the
// instance's new one.
type freshDialer struct {
	countingDialer
	mu    sync.Mutex
	conns []*heldConn
	// reuse, when set, says whether this Dial hands back the last
	// connection, as the pool of peers' links does while another group
	// still holds it (acquirePeer).
	reuse func() bool
}

func (d *freshDialer) Dial(redislink.ConnOptions) redislink.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.reuse != nil && len(d.conns) > 0 && d.reuse() {
		return d.conns[len(d.conns)-1]
	}
	c := &heldConn{}
	d.conns = append(d.conns, c)
	return c
}

func (d *freshDialer) last() *heldConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[len(d.conns)-1]
}

// A command in flight when its link is closed is answered on the old
// link, whose replies are ignored (settle): it is no longer in flight on
// the instance's link. Counted as still pending, every switch (which
// closes the master's link, usually with a PING out to the dead old
// master) and every credential change left one or two behind, and after
// maxPending of them the instance was never pinged again: judged down
// for good, failed over again at every switch.
func TestClosedLinkLeavesNothingInFlight(t *testing.T) {
	d := &freshDialer{}
	s, g, ctx := driverGroup(t, d)
	tm := s.timing()
	g.mu.Lock()
	r := failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
	i := inst(r)
	for k := 0; k <= maxPending; k++ {
		g.ensureLink(i)
		i.LastPing = 0 // a PING is due
		g.sendPeriodic(ctx, i, s.clock.Now(), tm)
		if got := len(d.last().sent); got == 0 {
			g.mu.Unlock()
			t.Fatalf("link %d: no PING on a new link (link-pending-commands %d)", k, i.pending)
		}
		g.closeLink(i)
		if i.pending != 0 {
			g.mu.Unlock()
			t.Fatalf("link %d closed with %d commands still counted in flight", k, i.pending)
		}
	}
	g.mu.Unlock()
	// The old links' late replies change nothing.
	for _, c := range d.conns {
		c.release()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if i.pending != 0 {
		t.Fatalf("%d commands counted in flight after the closed links answered", i.pending)
	}
}

// Every field of instance is either state of the link in hand, in link
// or subLink and reset whole when the link closes, or kept across links
// for a reason named here. A field added to instance without a place
// here fails: the class of bug is driver state of a link outliving the
// link (the redial flags carried into a new master's link, the count of
// commands in flight carried into every later link).
func TestEveryInstanceFieldHasALifetime(t *testing.T) {
	kept := map[string]string{
		"Node":    "the machine's facts about the instance, not the driver's link",
		"g":       "the group the instance belongs to",
		"link":    "the command link: reset whole by closeLink",
		"sub":     "the pub/sub link: reset whole by closeSub",
		"subGen":  "only grows, so a closed pub/sub link's late events are told apart",
		"lastPub": "paces hellos to the instance whichever link carries them",
		"hello":   "a peer's last hello for the master, whichever link brought it",
	}
	typ := reflect.TypeOf(instance{})
	for f := range typ.Fields() {
		if _, ok := kept[f.Name]; !ok {
			t.Errorf("instance.%s: a link's state belongs in link or subLink (reset by closeLink); a field kept across links needs its reason here", f.Name)
		}
		delete(kept, f.Name)
	}
	for name := range kept {
		t.Errorf("instance has no field %s any more: take it out of this table", name)
	}
}

// closeLink leaves nothing of the closed link behind: every field of
// link and subLink, each set here, is zero after it. A field added to
// either without a setter here fails.
func TestCloseLinkResetsTheWholeLink(t *testing.T) {
	s, g, _, _, _, i := parkRig(t)
	g.mu.Lock()
	defer g.mu.Unlock()
	set := map[string]func(){
		"conn":        func() { i.conn = &heldConn{} },
		"connKey":     func() { i.connKey = "" }, // a shared peer link has one; this replica's has none
		"voteConn":    func() { i.voteConn = &heldConn{} },
		"pending":     func() { i.pending = 3 },
		"connectedAt": func() { i.connectedAt = i.Stamp(s.clock.Now()) },
		"pingBusy":    func() { i.pingBusy = true },
		"redialing":   func() { i.redialing = true },
		"refused":     func() { i.refused = true },
		"infoBusy":    func() { i.infoBusy = true },
		"pubBusy":     func() { i.pubBusy = true },
		"helloAgain":  func() { i.helloAgain = true },
		"sub.stop":    func() { i.sub.stop = func() {} },
		"sub.up":      func() { i.sub.up = true },
		"sub.drop":    func() { i.sub.drop = true },
	}
	check := func(prefix string, v reflect.Value) {
		for k := range v.NumField() {
			name := prefix + v.Type().Field(k).Name
			fn, ok := set[name]
			if !ok {
				t.Errorf("%s: no case sets it before closeLink", name)
				continue
			}
			fn()
			delete(set, name)
		}
	}
	check("", reflect.ValueOf(&i.link).Elem())
	check("sub.", reflect.ValueOf(&i.sub).Elem())
	for name := range set {
		t.Errorf("%s is no field of link or subLink any more: take it out of the table", name)
	}
	g.closeLink(i)
	for _, v := range []reflect.Value{reflect.ValueOf(i.link), reflect.ValueOf(i.sub)} {
		for k := range v.NumField() {
			if !v.Field(k).IsZero() {
				t.Errorf("%s.%s kept after closeLink", v.Type().Name(), v.Type().Field(k).Name)
			}
		}
	}
	if !i.Disconnected {
		t.Error("a closed link is not disconnected")
	}
}

// answerOne answers the oldest command in flight, if any.
func (c *heldConn) answerOne(v any, err error) {
	c.mu.Lock()
	if len(c.cbs) == 0 {
		c.mu.Unlock()
		return
	}
	cb := c.cbs[0]
	c.cbs = c.cbs[1:]
	c.mu.Unlock()
	cb(v, err)
}

func (c *heldConn) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cbs)
}

// The count of commands in flight on an instance's link (what
// maxPending bounds, and SENTINEL REPLICAS shows as
// link-pending-commands) is what is in flight on its current connection,
// whatever happens in between: ticks sending PINGs, INFOs and hellos;
// answers one at a time on any link, old or current (a reply, a reply
// error, a transport failure); the link closed and opened again. The
// generator for the class of TestClosedLinkLeavesNothingInFlight. A
// connection handed back again after a close (shared) still carries the
// commands sent before it, whose replies now count for the new link: the
// count is then between none and what the connection has in flight.
func TestInFlightCountFollowsTheLink(t *testing.T) {
	t.Run("a new connection at every dial", func(t *testing.T) { inFlightFollowsLink(t, false) })
	t.Run("the same connection handed back", func(t *testing.T) { inFlightFollowsLink(t, true) })
}

func inFlightFollowsLink(t *testing.T, shared bool) {
	transport := errors.New("connection reset by peer")
	for seed := range 100 {
		rng := rand.New(rand.NewPCG(uint64(seed), 19))
		d := &freshDialer{}
		if shared {
			d.reuse = func() bool { return rng.IntN(2) == 0 }
		}
		s, g, ctx := driverGroup(t, d)
		tm := s.timing()
		g.mu.Lock()
		i := inst(failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now()))
		g.ensureLink(i)
		g.mu.Unlock()
		now := s.clock.Now()
		var trace []string
		for step := range 400 {
			switch k := rng.IntN(8); {
			case k < 3:
				now = now.Add(time.Duration(rng.IntN(300)) * time.Millisecond)
				trace = append(trace, "tick")
				g.mu.Lock()
				g.ensureLink(i)
				g.sendPeriodic(ctx, i, now, tm)
				g.mu.Unlock()
			case k < 7:
				d.mu.Lock()
				n := rng.IntN(len(d.conns))
				c := d.conns[n]
				d.mu.Unlock()
				var err error
				switch rng.IntN(4) {
				case 0:
					err = transport
				case 1:
					err = loadingReply{}
				}
				trace = append(trace, fmt.Sprintf("answer on link %d: %v", n, err))
				c.answerOne("PONG", err)
			default:
				trace = append(trace, "close")
				g.mu.Lock()
				g.closeLink(i)
				g.mu.Unlock()
			}
			g.mu.Lock()
			want := 0
			if cur, ok := i.conn.(*heldConn); ok {
				want = cur.inFlight()
			}
			got := i.pending
			g.mu.Unlock()
			if got > maxPending || got < 0 || got > want || !shared && got != want {
				t.Fatalf("seed %d step %d: link-pending-commands %d, %d in flight on the link (max %d); steps:\n%s",
					seed, step, got, want, maxPending, strings.Join(trace, "\n"))
			}
		}
	}
}

// loadingReply is a RESP error reply (redislink.IsReplyError): the
// instance answered.
type loadingReply struct{}

func (loadingReply) Error() string { return "LOADING Redis is loading the dataset in memory" }
func (loadingReply) RedisError()   {}
