package failover

import (
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The failover proper (sentinelFailoverStateMachine and friends). Every
// step runs from the tick or right after a fact that may let it advance,
// so a failover of one master never waits for another.

// startFailoverIfNeeded is sentinelStartFailoverIfNeeded.
func (m *Machine) startFailoverIfNeeded(now time.Time, t Timing) bool {
	if m.Master.Flags&FlagODown == 0 || m.InProgress() {
		return false
	}
	if !m.FailoverStartTime.IsZero() && now.Sub(m.At(m.FailoverStartTime)) < 2*m.FailoverTimeout(t) {
		return false
	}
	if m.heldBack(now) {
		return false
	}
	m.startFailover(now)
	return true
}

// startFailover is sentinelStartFailover: a new epoch for our attempt.
func (m *Machine) startFailover(now time.Time) {
	m.preCheck = preNone
	m.State = StateWaitStart
	m.Master.Flags |= FlagFailoverInProgress
	m.newAttemptEpoch(now)
	m.emit(event.LevelWarning, "+try-failover", m.Master, "")
	m.FailoverStartTime = m.Stamp(now.Add(m.jitter(maxDesync)))
	m.FailoverStateSince = m.Stamp(now)
}

// reelect starts a new election round for our attempt when the current
// one cannot end (electionStuck): a new epoch, our own vote in it, and the
// peers asked again at the next tick, as a Raft candidate does after a
// split vote. Every voter's vote in the stuck epoch is known and none is
// a majority, so no leader exists in it; the randomized wait keeps two
// stuck candidates from starting the next round together. The election
// timeout still counts from the first attempt.
func (m *Machine) reelect(now time.Time) {
	epoch := m.newAttemptEpoch(now)
	m.voteOwn(epoch, m.env.MyID, now)
	m.ReelectAt = m.Stamp(now.Add(reelectMin + m.jitter(reelectSpread)))
	for _, si := range m.Sentinels {
		si.AskSent = 0 // ask in the new epoch at once
	}
}

// A stuck election is retried after reelectMin plus up to reelectSpread.
const (
	reelectMin    = 100 * time.Millisecond
	reelectSpread = 400 * time.Millisecond
)

// newAttemptEpoch gives our new attempt on this master its epoch. A new
// epoch, as redis-sentinel takes for every attempt, unless one we took for
// another master's attempt less than burstWindow ago is still the current
// epoch and is new for this master too (no vote and no configuration of
// it in that epoch): when a machine dies, all its masters' attempts then
// share one epoch instead of moving the shared epoch fifty times, which
// every peer would have to follow before it could vote.
func (m *Machine) newAttemptEpoch(now time.Time) uint64 {
	epoch, advanced := m.env.Epochs.attempt(now, func(cur uint64) bool {
		return m.LeaderEpoch < cur && m.ConfigEpoch < cur && m.FailoverEpoch < cur
	})
	m.FailoverEpoch = epoch
	if advanced {
		m.persist()
		m.emitNewEpoch(epoch)
	}
	return epoch
}

// abortFailover is sentinelAbortFailover.
func (m *Machine) abortFailover(now time.Time) {
	m.Master.Flags &^= FlagFailoverInProgress | FlagForceFailover | FlagCoordFailover
	m.Coordinated = false
	m.State = StateNone
	m.FailoverStateSince = m.Stamp(now)
	if p := m.Promoted(); p != nil {
		p.Flags &^= FlagPromoted
	}
}

func (m *Machine) setState(st State, now time.Time) {
	m.State = st
	m.FailoverStateSince = m.Stamp(now)
}

// step advances the failover by whatever the current facts allow.
func (m *Machine) step(now time.Time, t Timing) {
	if !m.InProgress() {
		return
	}
	switch m.State {
	case StateWaitStart:
		m.waitStart(now, t)
		if m.State != StateSelectSlave {
			return
		}
		fallthrough
	case StateSelectSlave:
		if !m.preFailover(now, t) {
			return
		}
		m.selectSlave(now, t)
		if m.State != StateSendSlaveofNoOne {
			return
		}
		fallthrough
	case StateSendSlaveofNoOne:
		if m.Coordinated {
			m.sendFailover(now, t)
		} else {
			m.sendSlaveOfNoOne(now, t)
		}
	case StateWaitPromotion:
		m.waitPromotion(now, t)
	case StateReconfSlaves:
		m.reconfNextSlave(now, t)
	}
	if m.State == StateUpdateConfig {
		m.switchToPromoted(now)
	}
}

func (m *Machine) waitStart(now time.Time, t Timing) {
	n := m.Master
	isLeader := m.leader(m.FailoverEpoch, now) == m.env.MyID
	if !isLeader && n.Flags&FlagForceFailover == 0 {
		if m.electionStuck() && now.After(m.At(m.ReelectAt)) {
			m.reelect(now)
		}
		timeout := t.ElectionTimeout
		if ft := m.FailoverTimeout(t); timeout > ft {
			timeout = ft
		}
		if now.Sub(m.At(m.FailoverStartTime)) > timeout {
			m.emit(event.LevelWarning, "-failover-abort-not-elected", n, "")
			m.abortFailover(now)
		}
		return
	}
	m.emit(event.LevelWarning, "+elected-leader", n, "")
	m.setState(StateSelectSlave, now)
	m.emit(event.LevelWarning, "+failover-state-select-slave", n, "")
}

// selectWait is how long select_slave waits for a good replica:
// SelectGrace, or while some replica answers PINGs and may be promoted,
// up to half the failover timeout (at most selectWaitMax). Its INFO is
// then all that is missing, and under load (a thousand masters failing
// over at once, their replicas and we short of CPU) it came later than
// SelectGrace: the leader gave up, and its voters may not try before two
// failover timeouts, 20 s in the 1,000-master bench for a replica that
// answered a moment later.
func (m *Machine) selectWait(t Timing) time.Duration {
	for _, r := range m.SortedReplicas() {
		if !r.Down() && !r.Disconnected && r.SlavePriority != 0 {
			return m.SelectPatience(t)
		}
	}
	return SelectGrace
}

// SelectPatience is the longest select_slave waits for a replica that
// answers PINGs and may be promoted, its INFO only too old: half the
// failover timeout within [SelectGrace, selectWaitMax]. The simulator's
// check of a leader giving up judges by it.
func (m *Machine) SelectPatience(t Timing) time.Duration {
	return max(SelectGrace, min(m.FailoverTimeout(t)/2, selectWaitMax))
}

// SelectReplica is sentinelSelectSlave over our view of the replicas.
func (m *Machine) SelectReplica(now time.Time, t Timing) *Node {
	rs := m.SortedReplicas()
	cands := make([]Candidate, len(rs))
	heard := m.heard(now) // silence up to what was read (HeardUpTo)
	for k, r := range rs {
		infoAge := time.Duration(-1)
		if !r.InfoRefresh.IsZero() {
			// Zero for an INFO read after heard: negative means never.
			infoAge = max(0, heard.Sub(r.At(r.InfoRefresh)))
		}
		cands[k] = Candidate{
			Name:           r.Name,
			RunID:          r.RunID,
			Down:           r.Down(),
			Disconnected:   r.Disconnected,
			LastAvail:      heard.Sub(r.At(r.LastAvail)),
			InfoAge:        infoAge,
			Priority:       r.SlavePriority,
			ReplOffset:     r.ReplOffset,
			MasterLinkDown: r.MasterLinkDownTime,
		}
	}
	p := Params{PingPeriod: t.PingPeriod, InfoPeriod: t.InfoPeriod, DownAfter: m.DownAfter(t)}
	if m.Master.Flags&FlagSDown != 0 {
		p.MasterSDownFor = now.Sub(m.Master.At(m.Master.SDownSince))
	}
	if k := Select(cands, p); k >= 0 {
		return rs[k]
	}
	return nil
}

// SelectGrace bounds the wait for fresh replica INFO in select_slave
// (all of it before a replica that answers made it wait longer: the
// simulator plants that bug back); selectWaitMax the longer wait while a
// replica answers and may be promoted, its INFO only too old
// (selectWait).
const (
	SelectGrace   = 2 * time.Second
	selectWaitMax = 10 * time.Second
)

func (m *Machine) selectSlave(now time.Time, t Timing) {
	r := m.SelectReplica(now, t)
	if r == nil && now.Sub(m.At(m.FailoverStateSince)) < m.selectWait(t) {
		// We got here faster than redis-sentinel would (its election
		// takes a second or more); the replicas' INFO may simply be older
		// than the five ping periods a candidate needs. Refresh it and
		// look again at the next tick before giving up.
		m.refreshReplicaInfo()
		return
	}
	if r == nil {
		m.emit(event.LevelWarning, "-failover-abort-no-good-slave", m.Master, "")
		m.abortFailover(now)
		return
	}
	m.emit(event.LevelWarning, "+selected-slave", r, "")
	r.Flags |= FlagPromoted
	m.setState(StateSendSlaveofNoOne, now)
	m.emit(event.LevelNotice, "+failover-state-send-slaveof-noone", r, "")
}

func (m *Machine) sendSlaveOfNoOne(now time.Time, t Timing) {
	r := m.promotedOrAbort(now)
	if r == nil {
		return
	}
	if r.Disconnected {
		if now.Sub(m.At(m.FailoverStateSince)) > m.FailoverTimeout(t) {
			m.emit(event.LevelWarning, "-failover-abort-slave-timeout", r, "")
			m.abortFailover(now)
		}
		return
	}
	m.slaveOf(r, Addr{})
	m.waitForPromotion(r, now)
}

// sendFailover is Valkey's sentinelFailoverSendFailover: the master gets,
// in one transaction, CLIENT PAUSE WRITE (its clients stay paused after
// the switch, until KillClients) and FAILOVER TO the chosen replica, both
// with what is left of the failover timeout. With less than a second left
// the failover is abandoned; while the master is unreachable we wait.
func (m *Machine) sendFailover(now time.Time, t Timing) {
	r := m.promotedOrAbort(now)
	if r == nil {
		return
	}
	left := m.FailoverTimeout(t) - now.Sub(m.At(m.FailoverStateSince))
	if left < time.Second {
		m.emit(event.LevelWarning, "-failover-abort-master-timeout", m.Master, "")
		m.abortFailover(now)
		return
	}
	if m.Master.Disconnected {
		return
	}
	m.do(Action{Kind: FailoverTo, Node: m.Master, To: r.Addr, TimeoutMs: left.Milliseconds()})
	m.waitForPromotion(r, now)
}

// waitForPromotion enters wait_promotion once r was asked to take over.
func (m *Machine) waitForPromotion(r *Node, now time.Time) {
	m.emit(event.LevelNotice, "+failover-state-wait-promotion", r, "")
	m.setState(StateWaitPromotion, now)
}

// promotedOrAbort is the replica being promoted; without one (a reset
// took it) the failover is aborted and nil returned.
func (m *Machine) promotedOrAbort(now time.Time) *Node {
	p := m.Promoted()
	if p == nil {
		m.abortFailover(now)
	}
	return p
}

func (m *Machine) waitPromotion(now time.Time, t Timing) {
	r := m.promotedOrAbort(now)
	if r == nil {
		return
	}
	if now.Sub(m.At(m.FailoverStateSince)) > m.FailoverTimeout(t) {
		m.emit(event.LevelWarning, "-failover-abort-slave-timeout", r, "")
		m.abortFailover(now)
		return
	}
	// Poll the replica being promoted at tick rate instead of waiting for
	// the next one-second INFO: this is most of the failover's latency.
	if !r.Disconnected {
		m.do(Action{Kind: RefreshInfo, Node: r})
	}
}

// promoted runs when the replica we promoted reports role master.
func (m *Machine) promoted(r *Node, now time.Time, t Timing) {
	m.ConfigEpoch = m.FailoverEpoch
	m.setState(StateReconfSlaves, now)
	m.persist()
	m.emit(event.LevelWarning, "+promoted-slave", r, "")
	m.emit(event.LevelWarning, "+failover-state-reconf-slaves", m.Master, "")
	m.do(Action{Kind: ClientReconfig, Role: "leader", State: "start", From: m.Master.Addr, To: r.Addr})
	if m.Coordinated && !m.Master.Disconnected {
		m.do(Action{Kind: KillClients, Node: m.Master})
	}
	m.do(Action{Kind: Announce})
	// Reconfigure the other replicas and announce the switch now, not at
	// the next tick.
	m.step(now, t)
}

// reconfNextSlave is sentinelFailoverReconfNextSlave.
func (m *Machine) reconfNextSlave(now time.Time, t Timing) {
	p := m.promotedOrAbort(now)
	if p == nil {
		return
	}
	inProgress := 0
	rs := m.SortedReplicas()
	for _, r := range rs {
		if r.Flags&(FlagReconfSent|FlagReconfInprog) != 0 {
			inProgress++
		}
	}
	for _, r := range rs {
		if inProgress >= m.ParallelSyncs() {
			break
		}
		if r.Flags&(FlagPromoted|FlagReconfDone) != 0 {
			continue
		}
		if r.Flags&FlagReconfSent != 0 && now.Sub(r.At(r.ReconfSentTime)) > t.SlaveReconfTimeout {
			m.emit(event.LevelNotice, "-slave-reconf-sent-timeout", r, "")
			r.Flags &^= FlagReconfSent
			r.Flags |= FlagReconfDone
			continue
		}
		if r.Flags&(FlagReconfSent|FlagReconfInprog) != 0 || r.Disconnected {
			continue
		}
		m.slaveOf(r, p.Addr)
		r.Flags |= FlagReconfSent
		r.ReconfSentTime = r.Stamp(now)
		m.emit(event.LevelNotice, "+slave-reconf-sent", r, "")
		inProgress++
	}
	m.detectEnd(now, t)
}

// detectEnd is sentinelFailoverDetectEnd.
func (m *Machine) detectEnd(now time.Time, t Timing) {
	p := m.Promoted()
	if p == nil || p.Flags&FlagSDown != 0 {
		return
	}
	notReconfigured := 0
	for _, r := range m.Replicas {
		if r.Flags&(FlagPromoted|FlagReconfDone) != 0 || r.Flags&FlagSDown != 0 {
			continue
		}
		notReconfigured++
	}
	timeout := false
	if now.Sub(m.At(m.FailoverStateSince)) > m.FailoverTimeout(t) {
		notReconfigured = 0
		timeout = true
		m.emit(event.LevelWarning, "+failover-end-for-timeout", m.Master, "")
	}
	if notReconfigured == 0 {
		m.emit(event.LevelWarning, "+failover-end", m.Master, "")
		m.setState(StateUpdateConfig, now)
	}
	if timeout {
		// Best effort: point every replica we did not reach at the new
		// master; they are fixed later by +fix-slave-config if this fails.
		for _, r := range m.SortedReplicas() {
			if r.Flags&(FlagPromoted|FlagReconfDone|FlagReconfSent) != 0 || r.Disconnected {
				continue
			}
			m.slaveOf(r, p.Addr)
			m.emit(event.LevelNotice, "+slave-reconf-sent-be", r, "")
		}
	}
}

// switchToPromoted is sentinelFailoverSwitchToPromotedSlave.
func (m *Machine) switchToPromoted(now time.Time) {
	p := m.promotedOrAbort(now)
	if p == nil {
		return
	}
	m.emitSwitch(m.Master.Addr, p.Addr)
	m.SwitchMaster(p.Addr, now)
}

// slaveOf asks the driver to point n at addr (zero: make it a master).
// The driver sends nothing to a disconnected node; callers check first.
func (m *Machine) slaveOf(n *Node, addr Addr) {
	// A replica made master is unfenced in the same transaction, so that
	// it takes writes the moment it is promoted (fence.go).
	m.do(Action{Kind: SlaveOf, Node: n, To: addr, Unfence: addr.Host == "" && m.Config.FenceReplicas > 0})
}
