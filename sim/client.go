package sim

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Errors a Client call ends with when no reply comes.
var (
	ErrTimeout = errors.New("sim: no reply before the timeout")
	ErrClosed  = errors.New("sim: connection closed")
	// ErrRefused ends the calls of a connection the server's host refused
	// (World.RefuseWhileDown), as ECONNREFUSED does a real dial.
	ErrRefused = errors.New("sim: connection refused")
)

// Client is the calling side of RESP commands for a node: it numbers
// commands, matches replies to them, and ends calls that time out or
// whose connection was closed, which is what a sentinel's links do.
//
// A timeout or a Closed ends the connection, as a sentinel closes a link
// that stopped answering: every call on it ends, and the next Do on that
// name opens a new one (sent as "cmd#1", "cmd#2"..., so the server keeps
// no MULTI or subscription of the old one for it), and replies and pushes
// still arriving on the old one are swallowed. So message loss, which one
// TCP connection never shows, looks to a node like a link that stalled.
//
// A Client is part of a node's volatile state: build it in the node's
// StartFunc.
type Client struct {
	ep      *Endpoint
	seq     uint64
	pending map[uint64]*call
	gen     map[connRef]uint64 // current generation of each connection
}

// connRef is a connection as the node names it: server and name.
type connRef struct{ to, conn string }

type call struct {
	ref      connRef
	wire     string // the connection's name on the wire, with its generation
	deadline time.Time
	done     func(v any, err error)
}

// NewClient returns a client sending from ep.
func NewClient(ep *Endpoint) *Client {
	return &Client{ep: ep, pending: map[uint64]*call{}, gen: map[connRef]uint64{}}
}

// Do sends args to the endpoint to on connection conn; done gets the
// reply value (an error reply is a RedisError value, not err), or err
// ErrTimeout once timeout passed (checked by Expire), or ErrClosed. done
// may be nil for a command whose reply does not matter.
func (c *Client) Do(now time.Time, to, conn string, timeout time.Duration, args []string, done func(v any, err error)) {
	ref := connRef{to, conn}
	if _, known := c.gen[ref]; !known {
		c.gen[ref] = 0 // known from now on, so a Closed of it is seen
	}
	c.seq++
	cl := &call{ref: ref, wire: c.wire(ref), deadline: now.Add(timeout), done: done}
	c.pending[c.seq] = cl
	c.ep.Send(to, Command{Conn: cl.wire, Seq: c.seq, Args: args})
}

func (c *Client) wire(ref connRef) string {
	if g := c.gen[ref]; g > 0 {
		return ref.conn + "#" + strconv.FormatUint(g, 10)
	}
	return ref.conn
}

// Close ends the connection conn to the endpoint to, as a client closes a
// link it judged dead (a pub/sub link silent too long): its calls end with
// ErrClosed, and the next Do on that name opens a new connection.
func (c *Client) Close(to, conn string) {
	ref := connRef{to, conn}
	if _, known := c.gen[ref]; !known {
		return
	}
	wire := c.wire(ref)
	c.gen[ref]++
	c.endWhere(func(cl *call) bool { return cl.ref == ref && cl.wire == wire }, ErrClosed)
}

// Pending is the number of calls waiting for a reply.
func (c *Client) Pending() int { return len(c.pending) }

// Handle takes a message delivered to the node and returns true when it
// was the client's business: a reply to one of its calls (later replies
// to the same command, as SUBSCRIBE sends one per channel, are consumed
// silently), or a reply, push or Closed on a connection it already ended.
// A Closed of a live connection ends its calls and is returned false, for
// the node to see too (to subscribe again); so are pushes on live
// connections and anything else.
func (c *Client) Handle(from string, msg Msg) bool {
	switch m := msg.(type) {
	case Reply:
		cl := c.pending[m.Seq]
		if cl == nil || cl.ref.to != from {
			// Ended already (timed out, closed, or a second reply):
			// ours if we ever sent that number.
			return cl == nil && m.Seq <= c.seq
		}
		delete(c.pending, m.Seq)
		c.finish(cl, m.Value, nil)
		return true
	case Message:
		return !c.live(from, m.Conn)
	case Closed:
		if m.Conn != "" && !c.live(from, m.Conn) {
			return true
		}
		end := ErrClosed
		if m.Refused {
			end = ErrRefused
		}
		c.endWhere(func(cl *call) bool { return cl.ref.to == from && (m.Conn == "" || cl.wire == m.Conn) }, end)
		for ref := range c.gen {
			if ref.to == from && (m.Conn == "" || c.wire(ref) == m.Conn) {
				c.gen[ref]++
			}
		}
	}
	return false
}

// live says whether wire is the current generation of a connection to
// from (a connection never used yet counts as live).
func (c *Client) live(from, wire string) bool {
	for ref := range c.gen {
		if ref.to == from && c.wire(ref) == wire {
			return true
		}
	}
	// Not current: stale if it is an older generation of a known name.
	for ref, g := range c.gen {
		for old := uint64(0); old < g; old++ {
			name := ref.conn
			if old > 0 {
				name += "#" + strconv.FormatUint(old, 10)
			}
			if ref.to == from && name == wire {
				return false
			}
		}
	}
	return true
}

// Expire ends the calls whose timeout passed, oldest first, and with
// each the rest of its connection.
func (c *Client) Expire(now time.Time) {
	var expired []connRef
	for _, seq := range c.sortedSeqs() {
		cl := c.pending[seq]
		if cl != nil && now.After(cl.deadline) && !slices.Contains(expired, cl.ref) {
			expired = append(expired, cl.ref)
		}
	}
	for _, ref := range expired {
		wire := c.wire(ref)
		c.gen[ref]++
		c.endWhere(func(cl *call) bool { return cl.ref == ref && cl.wire == wire }, ErrTimeout)
	}
}

func (c *Client) sortedSeqs() []uint64 { return slices.Sorted(maps.Keys(c.pending)) }

// endWhere ends the matching calls in the order they were made: map order
// must not leak into the node's behaviour.
func (c *Client) endWhere(match func(*call) bool, err error) {
	for _, seq := range c.sortedSeqs() {
		if cl := c.pending[seq]; match(cl) {
			delete(c.pending, seq)
			c.finish(cl, nil, err)
		}
	}
}

func (c *Client) finish(cl *call, v any, err error) {
	if cl.done != nil {
		cl.done(v, err)
	}
}
