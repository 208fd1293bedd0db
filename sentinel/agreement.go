package sentinel

import (
	"cmp"
	"context"
	"fmt"

	"github.com/qsentinel/qsentinel/failover"
)

// askPeer sends the machine's question (SENTINEL is-master-down-by-addr)
// to peer si and hands the answer back to the machine.
func (g *group) askPeer(ctx context.Context, si *instance, a failover.Action) {
	if si.conn == nil {
		g.m.PeerAskFailed(si.Node)
		return
	}
	args := a.AskArgs(g.s.shownHost(a.To.Host))
	cmd := make([]any, len(args))
	for k, arg := range args {
		cmd[k] = arg
	}
	apply := func(reply any, err error) {
		r, ok := failover.ParseDownReply(reply)
		if err != nil || !ok {
			g.m.PeerAskFailed(si.Node)
			return
		}
		if r.Leader != "*" && si.Node.LeaderEpoch != r.Epoch {
			// As redis (sentinelReceiveIsMasterDownReply): a peer's vote
			// in a new epoch, what one reads when an election fails.
			g.s.logger.Warn(fmt.Sprintf("%s voted for %s %d", cmp.Or(si.Node.RunID, si.Node.Name), r.Leader, r.Epoch))
		}
		g.m.PeerReply(si.Node, a.To, g.s.clock.Now(), g.s.timing(), g.s.updateTilt(), r.Down, r.Leader, r.Epoch)
		g.apply()
	}
	if a.RunID == "*" {
		g.async(ctx, si, apply, cmd...)
		return
	}
	g.askVote(ctx, si, apply, cmd...)
}

// voteLinkSuffix names a peer's vote link among the shared peer links.
const voteLinkSuffix = " vote"

// askVote sends a vote request on the peer's vote link, a second
// connection next to the one its PINGs, hellos and opinion questions use.
// A sentinel answers a vote only once the vote is on disk (an fsync of
// the whole config), and replies on a connection leave in order: on one
// shared link, every PING and hello reply queued behind each vote's
// save. When a machine with 200 masters dies, votes are asked for all of
// them at once and the saves under that load take 50–300 ms each; the
// PING replies came late enough for the candidate to see its peers
// subjectively down (and, with the old master down as a replica, to
// believe itself cut off), and the new configuration's hellos waited
// behind the votes (BENCHMARKS.md, the per-master announce gap).
func (g *group) askVote(ctx context.Context, si *instance, apply func(reply any, err error), args ...any) {
	if si.voteConn == nil {
		si.voteConn, _ = g.s.acquirePeer(si.connKey+voteLinkSuffix, g.connOptions(si, "vote"))
	}
	conn := si.voteConn
	g.send(ctx, conn, func(reply any, err error) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if si.voteConn != conn {
			return
		}
		apply(reply, err)
	}, args...)
}
