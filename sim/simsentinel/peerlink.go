package simsentinel

import (
	"time"

	"github.com/qsentinel/qsentinel/failover"
)

// peerLink is production's shared peer PING (sentinel.peerConn): every
// master group of a node talks to a peer on one connection, one PING on
// it answers for every group's view of that peer, and a group pings only
// when no other group did within half a ping period.
type peerLink struct {
	lastAvail time.Time // last valid PING reply on it, any group
	lastPing  time.Time // last PING sent on it, any group
}

func (n *Node) peerLink(to string) *peerLink {
	p := n.peerLinks[to]
	if p == nil {
		p = &peerLink{}
		n.peerLinks[to] = p
	}
	return p
}

// takePeerAvail passes the shared link's last reply on to this group's
// view of the peer, by the machine's rule (failover.Machine.SharedPeerReply)
// as production's sendPeriodic does. The view's links are the node's own
// from its creation.
func (g *group) takePeerAvail(now time.Time, node *failover.Node) {
	to, ok := g.n.lookup(node.Addr)
	if !ok {
		return
	}
	a := g.n.peerLink(to).lastAvail
	if g.n.opts.Mutant.has(MutantPeerReplyWithinPeriod) && now.Sub(a) >= g.m.PingPeriod(g.n.opts.Timing) {
		return
	}
	if g.m.SharedPeerReply(node, a, node.Created, now, g.n.opts.Timing) {
		node.Disconnected = false
	}
}

// claimPeerPing is production's: whether this group PINGs the peer now,
// no group having done so within window.
func (g *group) claimPeerPing(now time.Time, node *failover.Node, window time.Duration) bool {
	to, ok := g.n.lookup(node.Addr)
	if !ok {
		return true
	}
	p := g.n.peerLink(to)
	if !p.lastPing.IsZero() && now.Sub(p.lastPing) < window {
		return false
	}
	p.lastPing = now
	return true
}

// peerAvail records a valid PING reply from the peer on the shared link.
func (g *group) peerAvail(node *failover.Node, at time.Time) {
	if to, ok := g.n.lookup(node.Addr); ok {
		if p := g.n.peerLink(to); at.After(p.lastAvail) {
			p.lastAvail = at
		}
	}
}
