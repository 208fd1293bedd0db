package sim

import (
	"errors"
	"slices"
	"time"
)

// Errors a Client call ends with when no reply comes.
var (
	ErrTimeout = errors.New("sim: no reply before the timeout")
	ErrClosed  = errors.New("sim: connection closed")
)

// Client is the calling side of RESP commands for a node: it numbers
// commands, matches replies to them, and ends calls that time out or
// whose connection was closed, which is what a sentinel's links do. It is
// part of the node's volatile state: build it in the node's StartFunc.
type Client struct {
	ep      *Endpoint
	seq     uint64
	pending map[uint64]*call
}

type call struct {
	to, conn string
	deadline time.Time
	done     func(v any, err error)
}

// NewClient returns a client sending from ep.
func NewClient(ep *Endpoint) *Client { return &Client{ep: ep, pending: map[uint64]*call{}} }

// Do sends args to the endpoint to on connection conn; done gets the
// reply value (an error reply is a RedisError value, not err), or err
// ErrTimeout once timeout passed (checked by Expire), or ErrClosed. done
// may be nil for a command whose reply does not matter.
func (c *Client) Do(now time.Time, to, conn string, timeout time.Duration, args []string, done func(v any, err error)) {
	c.seq++
	c.pending[c.seq] = &call{to: to, conn: conn, deadline: now.Add(timeout), done: done}
	c.ep.Send(to, Command{Conn: conn, Seq: c.seq, Args: args})
}

// Pending is the number of calls waiting for a reply.
func (c *Client) Pending() int { return len(c.pending) }

// Handle takes a message delivered to the node. It returns true when the
// message was a reply to one of its calls (later replies to the same
// command, as SUBSCRIBE sends one per channel, are consumed silently);
// a Closed ends the calls on that connection and is returned false, for
// the node to see too. Anything else is returned false untouched.
func (c *Client) Handle(from string, msg Msg) bool {
	switch m := msg.(type) {
	case Reply:
		cl := c.pending[m.Seq]
		switch {
		case cl == nil:
			// Ended already (timed out, or a second reply): ours if
			// we ever sent that number.
			return m.Seq <= c.seq
		case cl.to != from:
			return false
		}
		delete(c.pending, m.Seq)
		c.finish(cl, m.Value, nil)
		return true
	case Closed:
		c.endWhere(func(cl *call) bool { return cl.to == from && (m.Conn == "" || cl.conn == m.Conn) }, ErrClosed)
	}
	return false
}

// Expire ends the calls whose timeout passed, oldest first.
func (c *Client) Expire(now time.Time) {
	c.endWhere(func(cl *call) bool { return now.After(cl.deadline) }, ErrTimeout)
}

// endWhere ends the matching calls in the order they were made: map order
// must not leak into the node's behaviour.
func (c *Client) endWhere(match func(*call) bool, err error) {
	var seqs []uint64
	for seq, cl := range c.pending {
		if match(cl) {
			seqs = append(seqs, seq)
		}
	}
	slices.Sort(seqs)
	for _, seq := range seqs {
		cl := c.pending[seq]
		delete(c.pending, seq)
		c.finish(cl, nil, err)
	}
}

func (c *Client) finish(cl *call, v any, err error) {
	if cl.done != nil {
		cl.done(v, err)
	}
}
