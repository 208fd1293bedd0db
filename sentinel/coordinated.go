package sentinel

import (
	"context"
	"strconv"
	"time"
)

// SENTINEL FAILOVER <name> COORDINATED, as Valkey 9 runs it: a failover
// the master itself carries out with FAILOVER TO, so that no acknowledged
// write is lost. Unlike a plain SENTINEL FAILOVER it is not forced: the
// sentinels elect a leader first, and only the leader acts. Valkey marks
// the master subjectively down for the election (peers are only asked
// about a master that is down; the next check clears the mark with
// -sdown, as in Valkey).

// ErrNoFailoverCommand is Valkey 9's answer when the master's INFO has no
// master_failover_state: it has no FAILOVER command.
var ErrNoFailoverCommand = &ReplyError{"NOGOODPRIMARY Primary does not support FAILOVER command"}

// Switchover is SENTINEL FAILOVER <name> COORDINATED.
func (s *Sentinel) Switchover(name string) error {
	var err error
	if e := s.withGroup(name, func(g *group) {
		now := s.clock.Now()
		m := g.master
		if m.failoverReported == "" {
			err = ErrNoFailoverCommand
			return
		}
		if err = g.canFailover(now); err != nil {
			return
		}
		s.logger.Info("Executing user requested FAILOVER of '" + g.name + "'")
		m.sDownSince = now
		m.flags |= flagSDown
		g.startFailover(now)
		g.userFailoverAt = now
		g.coordinated = true
		m.flags |= flagCoordFailover
		if g.ctx != nil {
			g.askPeers(g.ctx, now, s.timing(), true)
			g.failoverStep(g.ctx, now, s.timing())
		}
	}); e != nil {
		return e
	}
	return err
}

// failoverSendFailover is Valkey's sentinelFailoverSendFailover: the
// master gets, in one transaction, CLIENT PAUSE WRITE (its clients stay
// paused after the switch, until killOldMasterClients) and FAILOVER TO the
// chosen replica, both with what is left of the failover timeout. With
// less than a second left the failover is abandoned; while the master is
// unreachable we wait.
func (g *group) failoverSendFailover(ctx context.Context, now time.Time) {
	r := g.promotedReplica()
	if r == nil {
		g.abortFailover(now)
		return
	}
	left := g.failoverTimeout() - now.Sub(g.failoverStateSince)
	if left < time.Second {
		g.emit(LevelWarning, "-failover-abort-master-timeout", g.master, "")
		g.abortFailover(now)
		return
	}
	m := g.master
	if m.conn == nil || m.disconnect {
		return
	}
	ms := strconv.FormatInt(left.Milliseconds(), 10)
	g.sendTx(ctx, m, [][]any{
		{g.mapCommand(m, "CLIENT"), "PAUSE", ms, "WRITE"},
		{g.mapCommand(m, "FAILOVER"), "TO", r.addr.Host, strconv.Itoa(r.addr.Port), "TIMEOUT", ms},
	})
	g.emit(LevelNotice, "+failover-state-wait-promotion", r, "")
	g.setFailoverState(FailoverWaitPromotion, now)
}

// killOldMasterClients is Valkey's sentinelKillClients, sent to the old
// master once the replica reports the promotion: its clients reconnect
// and ask a sentinel (instead of getting READONLY), and the pause ends.
func (g *group) killOldMasterClients(ctx context.Context) {
	m := g.master
	if m.conn == nil || m.disconnect {
		return
	}
	g.sendTx(ctx, m, [][]any{
		{g.mapCommand(m, "CONFIG"), "REWRITE"},
		{g.mapCommand(m, "CLIENT"), "KILL", "TYPE", "normal"},
		{g.mapCommand(m, "CLIENT"), "KILL", "TYPE", "pubsub"},
		{g.mapCommand(m, "CLIENT"), "UNPAUSE"},
	})
}

// helloBlocked says whether a hello to i would wait behind a client pause:
// to the master during a coordinated failover until the promotion, and to
// any instance reporting a FAILOVER of its own in progress (Valkey does
// not publish then either).
func (g *group) helloBlocked(i *instance) bool {
	if i == g.master && g.coordinated && g.failoverState <= FailoverWaitPromotion {
		return true
	}
	return i.failoverReported != "" && i.failoverReported != "no-failover"
}
