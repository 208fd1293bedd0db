package sentinel

import (
	"reflect"
	"sync"
	"testing"

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
}

func (d *freshDialer) Dial(redislink.ConnOptions) redislink.Conn {
	d.mu.Lock()
	defer d.mu.Unlock()
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
