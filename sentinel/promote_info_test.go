package sentinel

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// The replica being promoted is asked for its INFO the moment its SLAVEOF
// NO ONE transaction is answered, not at the next tick (up to 150 ms
// later: most of the wait for +promoted-slave). A replica only pointed
// elsewhere is not.
func TestInfoRightAfterPromotion(t *testing.T) {
	s, g, ctx := driverGroup(t, redislink.NewFakeNet())
	for _, tc := range []struct {
		name string
		to   Addr
		want bool
	}{
		{"promotion", Addr{}, true},
		{"reconfiguration", Addr{Host: "127.0.0.1", Port: 6390}, false},
	} {
		conn := &heldConn{}
		g.mu.Lock()
		r := failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
		i := inst(r)
		i.conn = conn
		r.Disconnected = false
		g.sendAction(ctx, i, failover.Action{Kind: failover.SlaveOf, Node: r, To: tc.to})
		g.mu.Unlock()
		deadline := time.Now().Add(2 * time.Second)
		got := false
		for !got && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			conn.mu.Lock()
			for _, a := range conn.sent {
				got = got || (len(a) == 1 && a[0] == "INFO")
			}
			conn.mu.Unlock()
			if !tc.want && time.Since(deadline.Add(-2*time.Second)) > 200*time.Millisecond {
				break
			}
		}
		if got != tc.want {
			t.Errorf("%s: INFO sent right after the transaction: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// taggedConn is heldConn as a pipelined link (redislink.TaggedConn): it
// records what is queued and what each Flush wrote, and answers only when
// told to.
type taggedConn struct {
	heldConn
	writes  [][]string // commands per Flush (or per flushing send)
	pending []string
	replies []func(any, error)
}

func (c *taggedConn) queue(args []any, cb func(any, error), flush bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, args)
	c.pending = append(c.pending, args[0].(string))
	c.replies = append(c.replies, cb)
	if flush {
		c.writes = append(c.writes, c.pending)
		c.pending = nil
	}
	return !flush
}

func (c *taggedConn) SendBuffered(_ time.Duration, cb func(any, error), args ...any) bool {
	return c.queue(args, cb, false)
}

func (c *taggedConn) SendTo(_ time.Duration, r redislink.Replier, tag int, flush bool, args ...any) bool {
	return c.queue(args, func(v any, err error) { r.Reply(c, tag, v, err) }, flush)
}

func (c *taggedConn) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) > 0 {
		c.writes = append(c.writes, c.pending)
		c.pending = nil
	}
}

// answer replies to everything queued, in order, the INFO with text.
func (c *taggedConn) answer(text string) {
	c.mu.Lock()
	sent, cbs := c.sent, c.replies
	c.replies = nil
	c.mu.Unlock()
	sent = sent[len(sent)-len(cbs):]
	for k, cb := range cbs {
		if sent[k][0] == "INFO" {
			cb(text, nil)
		} else {
			cb("OK", nil)
		}
	}
}

// On a pipelined link the INFO that shows the promotion goes in the same
// write as the SLAVEOF NO ONE transaction, right behind EXEC, even while
// another INFO is in flight (whose reply shows the replica as it was):
// +promoted-slave a round trip after the transaction was sent, not two or
// three (what a thousand masters failing over at once paid for every
// master, with every round trip slow).
func TestPromotionINFOBehindTheTransaction(t *testing.T) {
	for _, inTick := range []bool{false, true} {
		promotionINFOBehindTheTransaction(t, inTick)
	}
}

// promotionINFOBehindTheTransaction decides the promotion from a reply
// (written at once) or inside the tick (written with the tick's batch).
func promotionINFOBehindTheTransaction(t *testing.T, inTick bool) {
	s, g, ctx := driverGroup(t, redislink.NewFakeNet())
	conn := &taggedConn{}
	g.mu.Lock()
	g.ctx = ctx
	var batch redislink.WriteBatch
	if inTick {
		g.batch = &batch
	}
	r := failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
	i := inst(r)
	i.conn = conn
	r.Disconnected = false
	i.infoBusy = true // a periodic INFO is in flight
	g.sendAction(ctx, i, failover.Action{Kind: failover.SlaveOf, Node: r})
	g.batch = nil
	g.mu.Unlock()
	batch.Flush()
	conn.mu.Lock()
	writes := conn.writes
	conn.mu.Unlock()
	if len(writes) != 1 {
		t.Fatalf("in tick %v: the transaction and its INFO took %d writes, want 1: %v", inTick, len(writes), writes)
	}
	w := writes[0]
	if len(w) < 3 || w[0] != "MULTI" || w[len(w)-2] != "EXEC" || w[len(w)-1] != "INFO" {
		t.Fatalf("written %v, want MULTI ... EXEC INFO", w)
	}
	conn.answer("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n")
	g.mu.Lock()
	defer g.mu.Unlock()
	if i.infoBusy || i.pending != 0 {
		t.Fatalf("after the replies: infoBusy %v, pending %d", i.infoBusy, i.pending)
	}
	if r.RoleReported != failover.KindMaster {
		t.Fatalf("the INFO behind the transaction was not read: role %v", r.RoleReported)
	}
}
