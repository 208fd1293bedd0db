package failover

import (
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// Holding automatic failovers back (issue 18): a per-master maintenance
// switch, a block period after each failover against flapping
// (Orchestrator's RecoveryPeriodBlockSeconds), and a pre-failover check
// whose failure vetoes the failover (Orchestrator's PreFailoverProcesses).
//
// A held sentinel neither starts a failover of the master nor votes for a
// peer's: a failover needs a majority's votes, so holding a majority of
// the sentinels holds the whole group, redis-sentinels included, without
// anything new on the wire. SENTINEL FAILOVER (forced, no votes) is the
// operator's and is never held; a COORDINATED switchover asks for votes,
// so held peers refuse it like any other.

// Held says why an automatic failover of the master may not happen now
// ("" when it may).
func (m *Machine) Held(now time.Time) string {
	switch {
	case m.Config.Maintenance:
		return "maintenance"
	case m.Config.BlockPeriod > 0 && !m.LastSwitch.IsZero() && now.Sub(m.At(m.LastSwitch)) < m.Config.BlockPeriod:
		return "failover-block-period"
	}
	return ""
}

// heldBack reports whether the failover we would start is held, and
// publishes +failover-held once per reason and ODOWN episode.
func (m *Machine) heldBack(now time.Time) bool {
	why := m.Held(now)
	if why == "" {
		m.heldShown = ""
		return false
	}
	if why != m.heldShown || m.heldODown != m.Master.ODownSince { // both the master node's stamps
		m.heldShown, m.heldODown = why, m.Master.ODownSince
		m.emit(event.LevelWarning, "+failover-held", m.Master, why)
	}
	return true
}

// preFailover runs the pre-failover check of a failover we lead, before a
// replica is selected: true once it passed (or there is none). While it
// runs the failover waits; a failure, or no answer within failover-timeout,
// aborts it (-failover-abort-vetoed), and the next attempt runs it again.
func (m *Machine) preFailover(now time.Time, t Timing) bool {
	if !m.Config.PreFailover || m.preCheck == prePassed {
		return true
	}
	switch m.preCheck {
	case preNone:
		m.preCheck = preRunning
		m.do(Action{Kind: PreFailover, Node: m.Master, Epoch: m.FailoverEpoch})
		m.emit(event.LevelNotice, "+pre-failover", m.Master, "")
	case preRunning:
		if now.Sub(m.At(m.FailoverStateSince)) > m.FailoverTimeout(t) {
			m.veto(now, "timeout")
		}
	}
	return false
}

// PreFailoverDone is the driver's word on the pre-failover check of the
// attempt in epoch: passed or not (why says how it failed).
func (m *Machine) PreFailoverDone(epoch uint64, passed bool, why string, now time.Time, t Timing) {
	if m.preCheck != preRunning || epoch != m.FailoverEpoch || !m.InProgress() {
		return // an answer for an attempt that is over
	}
	if !passed {
		m.veto(now, why)
		return
	}
	m.preCheck = prePassed
	m.step(now, t)
}

func (m *Machine) veto(now time.Time, why string) {
	m.emit(event.LevelWarning, "-failover-abort-vetoed", m.Master, why)
	m.abortFailover(now)
}

// The pre-failover check of the current attempt.
const (
	preNone = iota
	preRunning
	prePassed
)
