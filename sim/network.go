package sim

import (
	"time"
)

// link is one direction between two endpoints: rules are one-way, so a
// symmetric fault is two links.
type link struct{ from, to string }

// network holds the fault rules, in the manner of etcd-io/raft's test
// network (drop, cut, isolate, recover) with delay and reordering added.
// HealAll replaces it; the wire's state outlives it.
type network struct {
	cut     map[link]string // reason, for the trace
	loss    map[link]float64
	delay   map[link]time.Duration
	reorder map[link]reordering
}

// reordering is a Reorder rule: the window, and the latest delivery
// scheduled on the link when it began, which no later message of a
// connection may overtake.
type reordering struct {
	window time.Duration
	floor  int64
}

// links is every link a rule is laid on.
func (n *network) links() map[link]bool {
	out := map[link]bool{}
	for l := range n.cut {
		out[l] = true
	}
	for l := range n.loss {
		out[l] = true
	}
	for l := range n.delay {
		out[l] = true
	}
	for l := range n.reorder {
		out[l] = true
	}
	return out
}

func newNetwork() network {
	return network{
		cut:     map[link]string{},
		loss:    map[link]float64{},
		delay:   map[link]time.Duration{},
		reorder: map[link]reordering{},
	}
}

// conn is one client connection (TCP in the real world) between a client
// and a server: its messages are never reordered, and once one is lost (to
// a cut, a partition or Loss) the connection stalls for good, as a TCP
// connection whose segment never gets through does until the client gives
// up on it (sim.Client then opens a new one). A partition shorter than
// TCP's retransmissions would only delay the bytes; here it costs the
// connections that had something to send meanwhile.
type conn struct {
	client, server, name string
	inc                  uint64 // the client's incarnation
}

// connOf is the connection msg travels on; false for messages outside
// any client connection (a model's own protocol, which is per message).
func connOf(from, to string, msg Msg) (conn, bool) {
	switch m := msg.(type) {
	case Command:
		return conn{from, to, m.Conn, m.Inc}, true
	case Reply:
		return conn{to, from, m.Conn, m.Inc}, true
	case Message:
		return conn{to, from, m.Conn, m.Inc}, true
	}
	return conn{}, false
}

// wire is what is on the wire: kept across HealAll.
type wire struct {
	// lastLink is the latest delivery scheduled per link (in World.ns
	// time), which keeps a link FIFO while it is not reordered; lastConn
	// the same per connection (and per link for messages outside
	// connections) while it is, which keeps each connection FIFO.
	lastLink map[link]int64
	lastConn map[orderKey]int64
	stalled  map[conn]bool
}

type orderKey struct {
	l link
	c conn
}

func newWire() wire {
	return wire{lastLink: map[link]int64{}, lastConn: map[orderKey]int64{}, stalled: map[conn]bool{}}
}

// Send puts msg on the network from one endpoint to another, for
// scenarios that speak for an endpoint (nodes use Endpoint.Send).
func (w *World) Send(from, to string, msg Msg) { w.send(from, to, msg) }

// send draws the message's fate now and, if it is not dropped, schedules
// its delivery. The checks run again at delivery: a partition made while
// a message is on the wire loses it too.
func (w *World) send(from, to string, msg Msg) {
	l := link{from, to}
	dst := w.eps[to]
	if c, ok := msg.(Command); ok {
		c.Inc = w.eps[from].incarnation
		msg = c
	}
	c, inConn := connOf(from, to, msg)
	switch {
	case dst == nil:
		w.tracef("drop  %s->%s %s (no such endpoint)", from, to, msg)
		return
	case dst.node == nil:
		w.tracef("drop  %s->%s %s (%s is down)", from, to, msg, to)
		if cmd, ok := msg.(Command); ok && dst.refuse && w.eps[from] != nil && w.eps[from].node != nil {
			// Its host is up and answers for the port: the sender
			// learns at once that nothing listens there.
			w.send(to, from, Closed{Conn: cmd.Conn, Reason: "connection refused", Inc: cmd.Inc, Refused: true})
		}
		return
	case staleConn(dst, msg):
		w.tracef("drop  %s->%s %s (a connection of %s's earlier incarnation)", from, to, msg, to)
		return
	case inConn && w.wire.stalled[c]:
		w.troublePair(from, to)
		w.tracef("drop  %s->%s %s (its connection stalled)", from, to, msg)
		return
	case w.net.cut[l] != "":
		w.lose(l, c, inConn)
		w.tracef("drop  %s->%s %s (%s)", from, to, msg, w.net.cut[l])
		return
	}
	if p := w.net.loss[l]; p > 0 && w.rng.Float64() < p {
		w.lose(l, c, inConn)
		w.tracef("drop  %s->%s %s (loss %.2f)", from, to, msg, p)
		return
	}
	d := w.cfg.MinDelay
	if span := w.cfg.MaxDelay - w.cfg.MinDelay; span > 0 {
		d += time.Duration(w.rng.Int64N(int64(span) + 1))
	}
	d += w.net.delay[l]
	at := w.ns(w.now) + int64(d)
	last := w.wire.lastLink[l]
	if r, ok := w.net.reorder[l]; ok {
		at += w.rng.Int64N(int64(r.window) + 1)
		k := orderKey{l, c}
		at = max(at, w.wire.lastConn[k], r.floor)
		w.wire.lastConn[k] = at
	} else {
		at = max(at, last)
	}
	w.wire.lastLink[l] = max(at, last)
	inc := dst.incarnation
	w.scheduleNs(at, func() { w.deliver(l, inc, msg) })
}

func (w *World) deliver(l link, inc uint64, msg Msg) {
	dst := w.eps[l.to]
	switch {
	case dst.node == nil || dst.incarnation != inc || staleConn(dst, msg):
		// A restarted process has new connections: what was on the old
		// ones is gone.
		w.tracef("drop  %s->%s %s (%s restarted or down)", l.from, l.to, msg, l.to)
		return
	case w.net.cut[l] != "":
		c, inConn := connOf(l.from, l.to, msg)
		w.lose(l, c, inConn)
		w.tracef("drop  %s->%s %s (%s, in flight)", l.from, l.to, msg, w.net.cut[l])
		return
	case w.now.Before(dst.frozenUntil):
		// A stopped process's socket buffers hold the bytes; they are
		// read, in order, when it resumes.
		w.schedule(dst.frozenUntil, func() { w.deliver(l, inc, msg) })
		return
	case w.now.Before(dst.lagUntil):
		// Read late (LagReads), in order.
		w.schedule(dst.lagUntil, func() { w.deliver(l, inc, msg) })
		return
	case w.readBehind(dst, l, inc, msg):
		// Queued behind a trail (TrailReads), read in order.
		return
	}
	w.tracef("recv  %s->%s %s", l.from, l.to, msg)
	dst.node.Receive(dst.Now(), l.from, msg)
}

// lose marks the connection of a message the network lost as stalled: TCP
// delivers nothing past a hole, so whatever follows on it is lost too
// (the client gives up on it and opens a new one).
// The loss is recorded as trouble between the two endpoints (Calm).
func (w *World) lose(l link, c conn, inConn bool) {
	w.troublePair(l.from, l.to)
	if inConn {
		w.wire.stalled[c] = true
	}
}

// staleConn says whether msg is for a connection a restarted dst no
// longer has.
func staleConn(dst *Endpoint, msg Msg) bool {
	inc := connIncarnation(msg)
	return inc != 0 && inc != dst.incarnation
}

// Connected reports whether a and b are both running and no cut or
// partition separates them either way, for scenario checks such as "a
// sentinel that could reach only a minority never fails over". Loss,
// delay and stalled connections do not count.
func (w *World) Connected(a, b string) bool {
	ea, eb := w.eps[a], w.eps[b]
	return ea != nil && eb != nil && ea.node != nil && eb.node != nil &&
		w.net.cut[link{a, b}] == "" && w.net.cut[link{b, a}] == ""
}

// Partition cuts every link between a member of a and a member of b, both
// ways. Links inside each set are untouched.
func (w *World) Partition(a, b []string) {
	for _, x := range a {
		for _, y := range b {
			w.net.cut[link{x, y}] = "partition"
			w.net.cut[link{y, x}] = "partition"
			w.troublePair(x, y)
		}
	}
	w.tracef("fault partition %v | %v", a, b)
}

// Isolate cuts name from every other endpoint, both ways.
func (w *World) Isolate(name string) {
	for _, other := range w.names {
		if other != name {
			w.net.cut[link{name, other}] = "isolated"
			w.net.cut[link{other, name}] = "isolated"
			w.troublePair(name, other)
		}
	}
	w.tracef("fault isolate %s", name)
}

// Cut loses every message from one endpoint to another; the other way
// still works (one-way loss: commands arrive, replies do not).
func (w *World) Cut(from, to string) {
	w.net.cut[link{from, to}] = "cut"
	w.troublePair(from, to)
	w.tracef("fault cut %s->%s", from, to)
}

// Loss drops each message from one endpoint to another with probability
// p (0 removes the rule). A message lost on a client connection stalls
// that connection (see conn).
func (w *World) Loss(from, to string, p float64) {
	w.net.loss[link{from, to}] = p
	w.troublePair(from, to)
	w.tracef("fault loss %s->%s %.2f", from, to, p)
}

// Delay adds extra to every message from one endpoint to another.
func (w *World) Delay(from, to string, extra time.Duration) {
	w.net.delay[link{from, to}] = extra
	w.troublePair(from, to)
	w.tracef("fault delay %s->%s %v", from, to, extra)
}

// Reorder lets messages from one endpoint to another overtake each
// other: each gets a further random delay up to window and the link is no
// longer FIFO, but each connection on it still is (TCP never reorders
// within one).
func (w *World) Reorder(from, to string, window time.Duration) {
	l := link{from, to}
	w.troublePair(from, to)
	if window <= 0 {
		delete(w.net.reorder, l)
	} else {
		w.net.reorder[l] = reordering{window: window, floor: w.wire.lastLink[l]}
	}
	w.tracef("fault reorder %s->%s %v", from, to, window)
}

// HealAll removes every network fault (cuts, partitions, loss, delay,
// reordering). Crashed nodes stay down and frozen ones frozen, and a
// connection stalled by a loss stays stalled.
func (w *World) HealAll() {
	// What was lifted was trouble until now (Calm).
	for l := range w.net.links() {
		w.troublePair(l.from, l.to)
	}
	w.net = newNetwork()
	w.tracef("fault heal all")
}
