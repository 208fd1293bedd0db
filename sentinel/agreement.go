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
	g.async(ctx, si, func(reply any, err error) {
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
		g.m.PeerReply(si.Node, g.s.clock.Now(), g.s.timing(), g.s.updateTilt(), r.Down, r.Leader, r.Epoch)
		g.apply()
	}, cmd...)
}
