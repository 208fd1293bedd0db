package sentinel

import (
	"context"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// refreshInfo is sentinelRefreshInstanceInfo: record what INFO says, then
// act on it (discover replicas, notice reboots and role changes, fix
// replicas that follow the wrong master).
func (g *group) refreshInfo(ctx context.Context, i *instance, text string) {
	now := g.s.clock.Now()
	t := g.s.timing()
	r := ParseInfo(text)
	i.info = text
	i.masterLinkDownTime = r.MasterLinkDownTime
	i.failoverReported = r.FailoverState

	if r.RunID != "" {
		if i.runID != "" && i.runID != r.RunID {
			g.emit(LevelNotice, "+reboot", i, "")
			if i.kind == KindMaster && g.cfg.RebootDownAfter != 0 {
				i.flags |= flagMasterReboot
				i.masterRebootFrom = now
			}
		}
		i.runID = r.RunID
	}
	if r.Role == KindMaster {
		i.masterReplOffset = r.MasterReplOffset
	}
	if i.kind == KindMaster {
		for _, a := range r.Replicas {
			if _, ok := g.replicas[a.String()]; ok {
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
			g.addReplica(a, now)
		}
	}
	if r.Role == KindReplica {
		if r.MasterHost != i.masterHost {
			i.masterHost = r.MasterHost
			i.slaveConfChange = now
		}
		if r.MasterPort != i.masterPort {
			i.masterPort = r.MasterPort
			i.slaveConfChange = now
		}
		i.masterLinkUp = r.MasterLinkUp
		if r.SlavePriority >= 0 {
			i.slavePriority = r.SlavePriority
		}
		if r.HasReplOffset {
			i.replOffset = r.SlaveReplOffset
		}
		if r.ReplicaAnnounced >= 0 {
			i.replicaAnnounced = r.ReplicaAnnounced
		}
	}
	i.infoRefresh = now

	role := r.Role
	if role == KindSentinel {
		return // no role line: nothing more to learn
	}
	if role != i.roleReported {
		i.roleReportedTime = now
		i.roleReported = role
		if role == KindReplica {
			i.slaveConfChange = now
		}
		typ := "-role-change"
		if i.kind == role {
			typ = "+role-change"
		}
		word := "slave"
		if role == KindMaster {
			word = "master"
		}
		g.emit(LevelVerbose, typ, i, "new reported role is "+word)
	}

	if g.s.updateTilt() {
		return
	}

	if i.kind == KindReplica && role == KindMaster {
		if i.flags&flagPromoted != 0 && g.master.flags&flagFailoverInProgress != 0 &&
			g.failoverState == FailoverWaitPromotion {
			g.onPromoted(ctx, i, now)
		} else {
			// A replica turned master on its own: wait for newer configs
			// to reach us, then force our view on it.
			wait := 4 * t.PublishPeriod
			if i.flags&flagPromoted == 0 && g.masterLooksSane(now, t) &&
				noDownFor(i, now, wait) && now.Sub(i.roleReportedTime) > wait {
				if g.sendSlaveOf(ctx, i, g.master.addr) {
					g.emit(LevelNotice, "+convert-to-slave", i, "")
				}
			}
		}
	}

	if i.kind == KindReplica && role == KindReplica &&
		(i.masterPort != g.master.addr.Port || !g.s.sameHost(g.master.addr.Host, i.masterHost)) {
		wait := g.failoverTimeout()
		if g.masterLooksSane(now, t) && noDownFor(i, now, wait) && now.Sub(i.slaveConfChange) > wait {
			if g.sendSlaveOf(ctx, i, g.master.addr) {
				g.emit(LevelNotice, "+fix-slave-config", i, "")
			}
		}
	}

	if i.kind == KindReplica && role == KindReplica && i.flags&(flagReconfSent|flagReconfInprog) != 0 {
		if p := g.promotedReplica(); p != nil {
			if i.flags&flagReconfSent != 0 && i.masterHost != "" &&
				g.s.sameHost(p.addr.Host, i.masterHost) && i.masterPort == p.addr.Port {
				i.flags &^= flagReconfSent
				i.flags |= flagReconfInprog
				g.emit(LevelNotice, "+slave-reconf-inprog", i, "")
			}
			if i.flags&flagReconfInprog != 0 && i.masterLinkUp {
				i.flags &^= flagReconfInprog
				i.flags |= flagReconfDone
				g.emit(LevelNotice, "+slave-reconf-done", i, "")
			}
		}
	}
}

// addReplica creates a replica discovered at a (under g.mu).
func (g *group) addReplica(a Addr, now time.Time) {
	ri := newInstance(KindReplica, a.String(), a, now)
	g.replicas[a.String()] = ri
	g.emit(LevelNotice, "+slave", ri, "")
	g.s.markDirty()
}

// addReplicaIfResolves resolves a's name off the group lock and adds the
// replica if it resolved and nobody added it meanwhile.
func (g *group) addReplicaIfResolves(ctx context.Context, a Addr) {
	if !g.s.refreshIP(ctx, a.Host) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.replicas[a.String()]; !ok && ctx.Err() == nil {
		g.addReplica(a, g.s.clock.Now())
	}
}

func (g *group) promotedReplica() *instance {
	for _, r := range g.replicas {
		if r.flags&flagPromoted != 0 {
			return r
		}
	}
	return nil
}

// onPromoted runs when the replica we promoted reports role master.
// The failover layer takes it from here.
func (g *group) onPromoted(ctx context.Context, i *instance, now time.Time) {
	g.configEpoch = g.failoverEpoch
	g.failoverState = FailoverReconfSlaves
	g.failoverStateSince = now
	g.s.markDirty()
	g.emit(LevelWarning, "+promoted-slave", i, "")
	if g.s.simFlags.Load()&SimCrashAfterPromotion != 0 {
		g.s.simulatedCrash()
	}
	g.emit(LevelWarning, "+failover-state-reconf-slaves", g.master, "")
	g.clientReconfig("leader", "start", g.master.addr, i.addr)
	if g.coordinated {
		g.killOldMasterClients(ctx)
	}
	g.forceHello()
	// Reconfigure the other replicas and announce the switch now, not at
	// the next tick.
	g.failoverStep(ctx, now, g.s.timing())
}

// sendSlaveOf reconfigures i to replicate addr (or become a master when
// addr.Host is empty) in one transaction, and kills the instance's clients
// so that they reconnect and ask a sentinel again.
func (g *group) sendSlaveOf(ctx context.Context, i *instance, addr Addr) bool {
	if i.conn == nil || i.disconnect {
		return false
	}
	host, port := "NO", "ONE"
	if addr.Host != "" {
		host, port = g.s.shownHost(addr.Host), itoa(int64(addr.Port))
	}
	var abort [][]any
	if i.failoverReported != "" && i.failoverReported != "no-failover" {
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
	return true
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
