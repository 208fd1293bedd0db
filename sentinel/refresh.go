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

// sendAction carries out a SlaveOf, FailoverTo or KillClients action on
// i in one transaction (Action.Tx): SLAVEOF ... with CONFIG REWRITE and
// CLIENT KILL, so that clients reconnect and ask a sentinel again (for
// SLAVEOF the target as we announce it; FAILOVER TO names the IP).
func (g *group) sendAction(ctx context.Context, i *instance, a failover.Action) {
	if i.conn == nil || i.Disconnected {
		return
	}
	host := a.To.Host
	if a.Kind == failover.SlaveOf && host != "" {
		host = g.s.shownHost(host)
	}
	body := a.Tx(host)
	cmds := make([][]any, len(body))
	for k, c := range body {
		cmd := make([]any, len(c))
		cmd[0] = g.mapCommand(i, c[0])
		for j, arg := range c[1:] {
			cmd[j+1] = arg
		}
		cmds[k] = cmd
	}
	// A promotion is seen in the replica's INFO: ask for it the moment
	// the transaction is answered instead of at the next tick (up to 150
	// ms later), which is most of the wait for +promoted-slave.
	g.sendTx(ctx, i, cmds, a.Kind == failover.SlaveOf && a.To.Host == "")
}

// sendTx sends cmds to i inside MULTI ... EXEC, down one connection (a
// transaction is per-connection state in Redis). Replies are not looked
// at: the effects show in the next INFO, as in redis-sentinel.
func (g *group) sendTx(ctx context.Context, i *instance, cmds [][]any, infoAfter bool) {
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
			if infoAfter && !i.infoBusy && !i.Disconnected && ctx.Err() == nil {
				g.sendInfo(ctx, i)
			}
		}
		g.mu.Unlock()
	}()
}
