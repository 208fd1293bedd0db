package sentinel

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/qsentinel/qsentinel/failover"
)

// The failover state machine (sentinelFailoverStateMachine and friends).
// Every step runs under the group lock from the group's tick or right after
// a reply that may let it advance, so a failover of one master never waits
// for another.

// startFailoverIfNeeded is sentinelStartFailoverIfNeeded.
func (g *group) startFailoverIfNeeded(now time.Time) bool {
	m := g.master
	if m.flags&flagODown == 0 || m.flags&flagFailoverInProgress != 0 {
		return false
	}
	if !g.failoverStartTime.IsZero() && now.Sub(g.failoverStartTime) < 2*g.failoverTimeout() {
		return false
	}
	g.startFailover(now)
	return true
}

// startFailover is sentinelStartFailover: a new epoch for our attempt.
func (g *group) startFailover(now time.Time) {
	m := g.master
	g.failoverState = FailoverWaitStart
	m.flags |= flagFailoverInProgress
	g.newAttemptEpoch(now)
	g.emit(LevelWarning, "+try-failover", m, "")
	g.failoverStartTime = now.Add(rand.N(maxDesync))
	g.failoverStateSince = now
}

// reelect starts a new election round for our attempt when the current
// one cannot end (electionStuck): a new epoch, our own vote in it, and the
// peers asked again at the next tick, as a Raft candidate does after a
// split vote. Every voter's vote in the stuck epoch is known and none is
// a majority, so no leader exists in it; the randomized wait keeps two
// stuck candidates from starting the next round together. The election
// timeout still counts from the first attempt.
func (g *group) reelect(now time.Time) {
	epoch := g.newAttemptEpoch(now)
	if _, changed := g.voteLocked(epoch, g.s.myID, now); changed {
		g.s.markDirty()
	}
	g.reelectAt = now.Add(reelectMin + rand.N(reelectSpread))
	for _, si := range g.sentinels {
		si.askSent = time.Time{} // ask in the new epoch at once
	}
}

// newAttemptEpoch gives our new attempt on this master its epoch. A new
// epoch, as redis-sentinel takes for every attempt, unless one we took for
// another master's attempt less than burstWindow ago is still the current
// epoch and is new for this master too (no vote and no configuration of
// it in that epoch): when a machine dies, all its masters' attempts then
// share one epoch instead of moving the shared epoch fifty times, which
// every peer would have to follow before it could vote.
func (g *group) newAttemptEpoch(now time.Time) uint64 {
	s := g.s
	s.voteMu.Lock()
	cur := s.epoch.Load()
	epoch := cur
	fresh := g.leaderEpoch < cur && g.configEpoch < cur && g.failoverEpoch < cur
	if !fresh || s.burstEpoch != cur || now.Sub(s.burstAt) >= burstWindow {
		epoch = s.epoch.Add(1)
		s.burstEpoch, s.burstAt = epoch, now
	}
	s.voteMu.Unlock()
	g.failoverEpoch = epoch
	if epoch != cur {
		s.markDirty()
		g.emitNewEpoch(epoch)
	}
	return epoch
}

// burstWindow is how long an epoch taken for one master's attempt may
// serve others' (newAttemptEpoch).
const burstWindow = time.Second

// A stuck election is retried after reelectMin plus up to reelectSpread.
const (
	reelectMin    = 100 * time.Millisecond
	reelectSpread = 400 * time.Millisecond
)

// abortFailover is sentinelAbortFailover.
func (g *group) abortFailover(now time.Time) {
	g.master.flags &^= flagFailoverInProgress | flagForceFailover | flagCoordFailover
	g.coordinated = false
	g.failoverState = FailoverNone
	g.failoverStateSince = now
	if p := g.promotedReplica(); p != nil {
		p.flags &^= flagPromoted
	}
}

func (g *group) setFailoverState(st FailoverState, now time.Time) {
	g.failoverState = st
	g.failoverStateSince = now
}

// failoverStep advances the failover by whatever the current facts allow.
func (g *group) failoverStep(ctx context.Context, now time.Time, t Timing) {
	if g.master.flags&flagFailoverInProgress == 0 {
		return
	}
	switch g.failoverState {
	case FailoverWaitStart:
		g.failoverWaitStart(now, t)
		if g.failoverState != FailoverSelectSlave {
			return
		}
		fallthrough
	case FailoverSelectSlave:
		g.failoverSelectSlave(ctx, now, t)
		if g.failoverState != FailoverSendSlaveofNoOne {
			return
		}
		fallthrough
	case FailoverSendSlaveofNoOne:
		if g.coordinated {
			g.failoverSendFailover(ctx, now)
		} else {
			g.failoverSendSlaveOfNoOne(ctx, now)
		}
	case FailoverWaitPromotion:
		g.failoverWaitPromotion(ctx, now)
	case FailoverReconfSlaves:
		g.failoverReconfNextSlave(ctx, now, t)
	}
	if g.failoverState == FailoverUpdateConfig {
		g.switchToPromoted(now)
	}
}

func (g *group) failoverWaitStart(now time.Time, t Timing) {
	m := g.master
	leader := g.getLeader(g.failoverEpoch, now)
	isLeader := leader == g.s.myID
	if !isLeader && m.flags&flagForceFailover == 0 {
		if g.electionStuck() && now.After(g.reelectAt) {
			g.reelect(now)
		}
		timeout := t.ElectionTimeout
		if ft := g.failoverTimeout(); timeout > ft {
			timeout = ft
		}
		if now.Sub(g.failoverStartTime) > timeout {
			g.emit(LevelWarning, "-failover-abort-not-elected", m, "")
			g.abortFailover(now)
		}
		return
	}
	g.emit(LevelWarning, "+elected-leader", m, "")
	if g.s.simFlags.Load()&SimCrashAfterElection != 0 {
		g.s.simulatedCrash()
	}
	g.setFailoverState(FailoverSelectSlave, now)
	g.emit(LevelWarning, "+failover-state-select-slave", m, "")
}

// selectReplica is sentinelSelectSlave over our view of the replicas.
func (g *group) selectReplica(now time.Time, t Timing) *instance {
	rs := sortedInstances(g.replicas)
	cands := make([]failover.Candidate, len(rs))
	for k, r := range rs {
		infoAge := time.Duration(-1)
		if !r.infoRefresh.IsZero() {
			infoAge = now.Sub(r.infoRefresh)
		}
		cands[k] = failover.Candidate{
			Name:           r.name,
			RunID:          r.runID,
			Down:           r.flags&(flagSDown|flagODown) != 0,
			Disconnected:   r.conn == nil || r.disconnect,
			LastAvail:      now.Sub(r.lastAvail),
			InfoAge:        infoAge,
			Priority:       r.slavePriority,
			ReplOffset:     r.replOffset,
			MasterLinkDown: r.masterLinkDownTime,
		}
	}
	p := failover.Params{PingPeriod: t.PingPeriod, InfoPeriod: t.InfoPeriod, DownAfter: g.downAfter()}
	if g.master.flags&flagSDown != 0 {
		p.MasterSDownFor = now.Sub(g.master.sDownSince)
	}
	if k := failover.Select(cands, p); k >= 0 {
		return rs[k]
	}
	return nil
}

func (g *group) failoverSelectSlave(ctx context.Context, now time.Time, t Timing) {
	r := g.selectReplica(now, t)
	if r == nil && now.Sub(g.failoverStateSince) < selectGrace {
		// We got here faster than redis-sentinel would (its election
		// takes a second or more); the replicas' INFO may simply be older
		// than the five ping periods a candidate needs. Refresh it and
		// look again at the next tick before giving up.
		g.refreshReplicaInfo(ctx)
		return
	}
	if r == nil {
		g.emit(LevelWarning, "-failover-abort-no-good-slave", g.master, "")
		g.abortFailover(now)
		return
	}
	g.emit(LevelWarning, "+selected-slave", r, "")
	r.flags |= flagPromoted
	g.setFailoverState(FailoverSendSlaveofNoOne, now)
	g.emit(LevelNotice, "+failover-state-send-slaveof-noone", r, "")
}

// selectGrace bounds the wait for fresh replica INFO in select_slave.
const selectGrace = 2 * time.Second

// refreshReplicaInfo sends INFO to every reachable replica now.
func (g *group) refreshReplicaInfo(ctx context.Context) {
	for _, r := range g.replicas {
		if !r.infoBusy && r.conn != nil && !r.disconnect {
			g.sendInfo(ctx, r)
		}
	}
}

func (g *group) failoverSendSlaveOfNoOne(ctx context.Context, now time.Time) {
	r := g.promotedReplica()
	if r == nil {
		g.abortFailover(now)
		return
	}
	if r.conn == nil || r.disconnect {
		if now.Sub(g.failoverStateSince) > g.failoverTimeout() {
			g.emit(LevelWarning, "-failover-abort-slave-timeout", r, "")
			g.abortFailover(now)
		}
		return
	}
	if !g.sendSlaveOf(ctx, r, Addr{}) {
		return
	}
	g.emit(LevelNotice, "+failover-state-wait-promotion", r, "")
	g.setFailoverState(FailoverWaitPromotion, now)
}

func (g *group) failoverWaitPromotion(ctx context.Context, now time.Time) {
	r := g.promotedReplica()
	if r == nil {
		g.abortFailover(now)
		return
	}
	if now.Sub(g.failoverStateSince) > g.failoverTimeout() {
		g.emit(LevelWarning, "-failover-abort-slave-timeout", r, "")
		g.abortFailover(now)
		return
	}
	// Poll the replica being promoted at tick rate instead of waiting for
	// the next one-second INFO: this is most of the failover's latency.
	if !r.infoBusy && r.conn != nil && !r.disconnect {
		g.sendInfo(ctx, r)
	}
}

// failoverReconfNextSlave is sentinelFailoverReconfNextSlave.
func (g *group) failoverReconfNextSlave(ctx context.Context, now time.Time, t Timing) {
	p := g.promotedReplica()
	if p == nil {
		g.abortFailover(now)
		return
	}
	inProgress := 0
	rs := sortedInstances(g.replicas)
	for _, r := range rs {
		if r.flags&(flagReconfSent|flagReconfInprog) != 0 {
			inProgress++
		}
	}
	for _, r := range rs {
		if inProgress >= g.parallelSyncs() {
			break
		}
		if r.flags&(flagPromoted|flagReconfDone) != 0 {
			continue
		}
		if r.flags&flagReconfSent != 0 && now.Sub(r.reconfSentTime) > t.SlaveReconfTimeout {
			g.emit(LevelNotice, "-slave-reconf-sent-timeout", r, "")
			r.flags &^= flagReconfSent
			r.flags |= flagReconfDone
			continue
		}
		if r.flags&(flagReconfSent|flagReconfInprog) != 0 || r.conn == nil || r.disconnect {
			continue
		}
		if g.sendSlaveOf(ctx, r, p.addr) {
			r.flags |= flagReconfSent
			r.reconfSentTime = now
			g.emit(LevelNotice, "+slave-reconf-sent", r, "")
			inProgress++
		}
	}
	g.failoverDetectEnd(ctx, now)
}

// failoverDetectEnd is sentinelFailoverDetectEnd.
func (g *group) failoverDetectEnd(ctx context.Context, now time.Time) {
	p := g.promotedReplica()
	if p == nil || p.flags&flagSDown != 0 {
		return
	}
	notReconfigured := 0
	for _, r := range g.replicas {
		if r.flags&(flagPromoted|flagReconfDone) != 0 || r.flags&flagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := false
	if now.Sub(g.failoverStateSince) > g.failoverTimeout() {
		notReconfigured = 0
		timeout = true
		g.emit(LevelWarning, "+failover-end-for-timeout", g.master, "")
	}
	if notReconfigured == 0 {
		g.emit(LevelWarning, "+failover-end", g.master, "")
		g.setFailoverState(FailoverUpdateConfig, now)
	}
	if timeout {
		// Best effort: point every replica we did not reach at the new
		// master; they are fixed later by +fix-slave-config if this fails.
		for _, r := range sortedInstances(g.replicas) {
			if r.flags&(flagPromoted|flagReconfDone|flagReconfSent) != 0 || r.conn == nil || r.disconnect {
				continue
			}
			if g.sendSlaveOf(ctx, r, p.addr) {
				g.emit(LevelNotice, "+slave-reconf-sent-be", r, "")
			}
		}
	}
}

// switchToPromoted is sentinelFailoverSwitchToPromotedSlave.
func (g *group) switchToPromoted(now time.Time) {
	p := g.promotedReplica()
	if p == nil {
		g.abortFailover(now)
		return
	}
	g.emitSwitchMaster(g.master.addr, p.addr)
	g.switchMaster(p.addr, now)
}

// userFailoverSettle is how long after a SENTINEL FAILOVER another one
// answers -INPROG even when ours has already ended. redis-sentinel's
// forced failover cannot end before its promoted replica answers an INFO
// at the one-second failover period (1.2 s typically), and clients that
// send the command twice see -INPROG for that long; ours polls the
// replica at tick rate and may be done in 100 ms, after which a second
// command would fail straight back to the old master.
const userFailoverSettle = 1200 * time.Millisecond

// Failover is SENTINEL FAILOVER <name>: a failover without agreement.
func (s *Sentinel) Failover(name string) error {
	var err error
	if e := s.withGroup(name, func(g *group) {
		now := s.clock.Now()
		if err = g.canFailover(now); err != nil {
			return
		}
		s.logger.Warn("Executing user requested FAILOVER of '" + g.name + "'")
		g.startFailover(now)
		g.userFailoverAt = now
		g.master.flags |= flagForceFailover
		// Go now rather than at the next tick.
		if g.ctx != nil {
			g.failoverStep(g.ctx, now, s.timing())
		}
	}); e != nil {
		return e
	}
	return err
}

// canFailover is the check SENTINEL FAILOVER makes before it starts one:
// none in progress, and a replica to promote.
func (g *group) canFailover(now time.Time) error {
	if g.master.flags&flagFailoverInProgress != 0 ||
		!g.userFailoverAt.IsZero() && now.Sub(g.userFailoverAt) < userFailoverSettle {
		return ErrInProgress
	}
	if g.selectReplica(now, g.s.timing()) == nil {
		return ErrNoGoodSlave
	}
	return nil
}
