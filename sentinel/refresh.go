package sentinel

import (
	"context"
	"time"

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
	// A promotion is seen in the replica's INFO: ask for it right behind
	// the transaction instead of at the next tick, which is most of the
	// wait for +promoted-slave.
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
	if tc, ok := conn.(redislink.TaggedConn); ok {
		g.pipeTx(conn, tc, i, all, timeout, infoAfter)
		return
	}
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
			i.answered(len(all))
			if infoAfter && !i.infoBusy && !i.Disconnected && ctx.Err() == nil {
				g.sendInfo(ctx, i)
			}
		}
		g.mu.Unlock()
	}()
}

// pipeTx is sendTx on a pipelined link: the transaction is queued without
// a goroutine, and with infoAfter an INFO right behind it on the same
// connection, so that its reply, which comes one round trip after the
// transaction's, already shows the promotion. Asked for once EXEC was
// answered (as before), it came a round trip later, two when an INFO was
// in flight (it was skipped and the next tick asked again): most of the
// wait for +promoted-slave when a thousand masters fail over at once and
// every round trip is slow. The INFO goes even if one is in flight, whose
// reply would show the replica before the transaction. Under the group
// lock.
func (g *group) pipeTx(conn redislink.Conn, tc redislink.TaggedConn, i *instance, all [][]any, timeout time.Duration, infoAfter bool) {
	left := len(all)
	done := func(any, error) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if left--; left == 0 && i.conn == conn {
			i.answered(len(all))
		}
	}
	flush := false
	for _, c := range all {
		flush = tc.SendBuffered(timeout, done, c...) || flush
	}
	if infoAfter && !i.Disconnected && g.ctx != nil && g.ctx.Err() == nil {
		// Queued behind EXEC; its send writes the link (now, or with the
		// tick's batch), the transaction with it.
		g.sendInfo(g.ctx, i)
		return
	}
	if !flush {
		return
	}
	if g.batch != nil {
		g.batch.Add(tc)
	} else {
		tc.Flush()
	}
}
