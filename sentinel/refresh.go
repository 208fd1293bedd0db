package sentinel

import (
	"context"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// onInfo hands an INFO reply to the machine: first the replicas a master
// lists (only the driver knows which addresses it can use), then the rest.
func (g *group) onInfo(ctx context.Context, i *instance, text string) {
	now := g.s.clock.Now()
	r := failover.ParseInfo(text)
	if i.Kind == KindMaster {
		for _, a := range r.Replicas {
			if _, ok := g.m.Replicas[a.String()]; ok {
				continue
			}
			switch g.s.acceptHost(a.Host) {
			case hostRefused:
				// A replica announcing a name (replica-announce-ip)
				// while resolve-hostnames is off: redis-sentinel cannot
				// create its address and leaves it out.
				continue
			case hostUnknown:
				// A name never resolved: added once it resolves, as
				// redis-sentinel adds only replicas it can resolve.
				go g.addReplicaIfResolves(ctx, a)
				continue
			}
			g.m.AddReplica(a, now)
		}
	}
	tilt := false
	if r.Role != KindSentinel {
		tilt = g.s.updateTilt()
	}
	g.m.Info(i.Node, now, g.s.timing(), tilt, text, r)
	g.apply()
}

// addReplicaIfResolves resolves a's name off the group lock and adds the
// replica if it resolved and nobody added it meanwhile.
func (g *group) addReplicaIfResolves(ctx context.Context, a Addr) {
	if !g.s.refreshIP(ctx, a.Host) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if ctx.Err() == nil {
		g.m.AddReplica(a, g.s.clock.Now())
		g.apply()
	}
}

// sendSlaveOf reconfigures i to replicate addr (or become a master when
// addr.Host is empty) in one transaction, and kills the instance's clients
// so that they reconnect and ask a sentinel again.
func (g *group) sendSlaveOf(ctx context.Context, i *instance, addr Addr) {
	if i.conn == nil || i.Disconnected {
		return
	}
	host, port := "NO", "ONE"
	if addr.Host != "" {
		host, port = g.s.shownHost(addr.Host), itoa(int64(addr.Port))
	}
	var abort [][]any
	if i.FailoverReported != "" && i.FailoverReported != "no-failover" {
		// As Valkey does: a FAILOVER of the instance's own (maybe
		// stuck) would make SLAVEOF fail.
		abort = [][]any{{g.mapCommand(i, "FAILOVER"), "ABORT"}}
	}
	g.sendTx(ctx, i, append(abort, [][]any{
		{g.mapCommand(i, "SLAVEOF"), host, port},
		{g.mapCommand(i, "CONFIG"), "REWRITE"},
		{g.mapCommand(i, "CLIENT"), "KILL", "TYPE", "normal"},
		{g.mapCommand(i, "CLIENT"), "KILL", "TYPE", "pubsub"},
	}...))
}

// sendTx sends cmds to i inside MULTI ... EXEC, down one connection (a
// transaction is per-connection state in Redis). Replies are not looked
// at: the effects show in the next INFO, as in redis-sentinel.
func (g *group) sendTx(ctx context.Context, i *instance, cmds [][]any) {
	conn := i.conn
	all := make([][]any, 0, len(cmds)+2)
	all = append(all, []any{g.mapCommand(i, "MULTI")})
	all = append(all, cmds...)
	all = append(all, []any{g.mapCommand(i, "EXEC")})
	i.pending += len(all)
	timeout := g.linkTimeout()
	go func() {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if tc, ok := conn.(redislink.TxConn); ok {
			tc.Tx(cctx, all)
		} else {
			for _, c := range all {
				conn.Do(cctx, c...)
			}
		}
		g.mu.Lock()
		if i.conn == conn {
			i.pending -= len(all)
		}
		g.mu.Unlock()
	}()
}
