package simsentinel

import "github.com/qsentinel/qsentinel/sim"

// Replies on a connection leave in order, and a vote's reply only once
// the vote is on disk (respserver's holdRepliesUntil and releaseHeld):
// while one waits for its save, every later reply on that connection
// waits behind it, and the peer's next commands are still read and run.
// Each save lets out the replies written before it started; those
// written while it ran wait for the next one, which covers the votes that
// arrived meanwhile. MutantHoldAllReplies plants what production did
// before: nothing left until a save ended with no vote having arrived
// during it, which held a peer's PING replies for as long as it kept
// asking for votes.

// inConn is a connection a peer opened to us, as respserver's client.
type inConn struct {
	from, conn string
	inc        uint64
}

// outbox is what respserver's client holds for one connection.
type outbox struct {
	held    []sim.Reply
	holding bool
	again   bool // a vote came while the save ran (holdSave set again)
}

// reply sends r on its connection, behind any reply held there.
func (n *Node) reply(from string, r sim.Reply) {
	if ob := n.outboxes[inConn{from, r.Conn, r.Inc}]; ob != nil && ob.holding {
		ob.held = append(ob.held, r)
		return
	}
	n.ep.Send(from, r)
}

// replyAfterSave is holdRepliesUntil: r, a vote's reply, and whatever
// follows it on its connection wait for a save started after it.
func (n *Node) replyAfterSave(from string, r sim.Reply) {
	k := inConn{from, r.Conn, r.Inc}
	ob := n.outboxes[k]
	if ob == nil {
		ob = &outbox{}
		n.outboxes[k] = ob
	}
	ob.held = append(ob.held, r)
	if ob.holding {
		ob.again = true
		return
	}
	ob.holding = true
	n.holdUntilSaved(k, ob)
}

// holdUntilSaved is one round of holdRepliesUntil's loop: a save, then
// either everything goes (no vote came meanwhile) or what it covers goes
// and another round covers the rest.
func (n *Node) holdUntilSaved(k inConn, ob *outbox) {
	covered := len(ob.held)
	ob.again = false
	n.flush(func() {
		if !ob.again {
			n.release(k, ob, len(ob.held))
			ob.holding = false
			delete(n.outboxes, k)
			return
		}
		if !n.opts.Mutant.has(MutantHoldAllReplies) {
			n.release(k, ob, covered)
		}
		n.holdUntilSaved(k, ob)
	})
}

// release sends the first count held replies.
func (n *Node) release(k inConn, ob *outbox, count int) {
	for _, r := range ob.held[:count] {
		n.ep.Send(k.from, r)
	}
	ob.held = append(ob.held[:0], ob.held[count:]...)
}
