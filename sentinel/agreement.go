package sentinel

import (
	"context"
	"strconv"

	"github.com/qsentinel/qsentinel/failover"
)

// askPeer sends the machine's question (SENTINEL is-master-down-by-addr)
// to peer si and hands the answer back to the machine.
func (g *group) askPeer(ctx context.Context, si *instance, a failover.Action) {
	if si.conn == nil {
		g.m.PeerAskFailed(si.Node)
		return
	}
	g.async(ctx, si, func(reply any, err error) {
		arr, ok := reply.([]any)
		if err != nil || !ok || len(arr) != 3 {
			g.m.PeerAskFailed(si.Node)
			return
		}
		down, ok1 := arr[0].(int64)
		leader, ok2 := arr[1].(string)
		epoch, ok3 := arr[2].(int64)
		if !ok1 || !ok2 || !ok3 {
			g.m.PeerAskFailed(si.Node)
			return
		}
		g.m.PeerReply(si.Node, g.s.clock.Now(), g.s.timing(), g.s.updateTilt(), down == 1, leader, uint64(epoch))
		g.apply()
	}, "SENTINEL", "is-master-down-by-addr", g.s.shownHost(a.To.Host), strconv.Itoa(a.To.Port),
		strconv.FormatUint(a.Epoch, 10), a.RunID)
}
