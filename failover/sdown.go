package failover

import (
	"github.com/qsentinel/qsentinel/event"
	"strings"
	"time"
)

// Tick is the periodic part of sentinelHandleRedisInstance for the whole
// master: subjective down of every instance, objective down, the start and
// steps of a failover, and questions to peers. The driver does not call it
// while TILT lasts (redis-sentinel only keeps its links alive then).
func (m *Machine) Tick(now time.Time, t Timing) {
	wasDown := m.Master.Flags&FlagSDown != 0
	for _, n := range m.Nodes() {
		m.checkSDown(n, now, t)
	}
	m.checkIsolation(now, t)
	m.checkODown(now, t)
	// The moment the master goes down we ask peers at once instead of at
	// the next ask period.
	forced := !wasDown && m.Master.Flags&FlagSDown != 0
	if m.startFailoverIfNeeded(now, t) {
		forced = true
	}
	m.step(now, t)
	m.askPeers(now, t, forced)
}

// checkSDown is sentinelCheckSubjectivelyDown.
func (m *Machine) checkSDown(n *Node, now time.Time, t Timing) {
	// redis-sentinel measures from the oldest unanswered PING, so a
	// master that dies just after a reply is noticed up to a ping period
	// late. We measure from the last valid reply instead, and the driver
	// pings often enough that a healthy instance never gets near the limit.
	var elapsed time.Duration
	if !n.ActPing.IsZero() || n.Disconnected {
		elapsed = m.silentFor(n, now)
	}
	downAfter := m.DownAfter(t)
	down := elapsed > downAfter ||
		(n.Kind == KindMaster && n.RoleReported == KindReplica &&
			now.Sub(n.At(n.RoleReportedTime)) > downAfter+2*t.InfoPeriod) ||
		(n.Flags&FlagMasterReboot != 0 && now.Sub(n.At(n.MasterRebootFrom)) > m.Config.RebootDownAfter)
	if down {
		if n.Flags&FlagSDown == 0 {
			n.Flags |= FlagSDown
			n.SDownSince = n.Stamp(now)
			m.emit(event.LevelWarning, "+sdown", n, "")
			if n.Kind == KindMaster {
				m.do(Action{Kind: KickGossip})
				// A failover may follow within milliseconds: have the
				// replicas' state fresh for the selection.
				m.refreshReplicaInfo()
			}
		}
	} else if n.Flags&FlagSDown != 0 {
		n.Flags &^= FlagSDown | FlagScriptKillSent
		m.emit(event.LevelWarning, "-sdown", n, "")
		if n.Kind == KindMaster {
			m.do(Action{Kind: KickGossip})
		}
	}
}

// HeardUpTo tells the machine that every reply that had come by t has
// been handed to it (the driver's event loop was caught up then). Silence
// is measured up to there, not up to now: a driver late in reading (its
// loop busy with a flood of replies, its process without CPU) would
// otherwise take its own lateness for everyone else's, mark replicas and
// peers subjectively down and abort failovers for want of a good replica,
// as a 1,000-master run did. A driver that reads replies as they come
// need not call it.
func (m *Machine) HeardUpTo(t time.Time) { m.heardUpTo = m.Stamp(t) }

// heard is the moment silence is measured up to: now, or HeardUpTo's
// time when that is earlier.
func (m *Machine) heard(now time.Time) time.Time {
	if !m.heardUpTo.IsZero() && m.At(m.heardUpTo).Before(now) {
		return m.At(m.heardUpTo)
	}
	return now
}

// silentFor is how long n has given no valid reply, measured up to
// where replies have been read (heard): the silence checkSDown judges and
// SilenceOf reports.
func (m *Machine) silentFor(n *Node, now time.Time) time.Duration {
	return m.heard(now).Sub(n.At(n.LastAvail))
}

// refreshReplicaInfo asks the driver for INFO of every reachable replica.
func (m *Machine) refreshReplicaInfo() {
	for _, r := range m.SortedReplicas() {
		if !r.Disconnected {
			m.do(Action{Kind: RefreshInfo, Node: r})
		}
	}
}

// PingSent records a PING sent to n (or, on a peer link shared between
// masters, one sent by another master's driver that answers for us too).
func (m *Machine) PingSent(n *Node, now time.Time) {
	n.LastPing = n.Stamp(now)
	if n.ActPing.IsZero() {
		n.ActPing = n.Stamp(now)
	}
}

// PingReply records n's reply to a PING: text is the status or error
// line. It reports whether the reply shows the node available. Transport
// failures are not replies; the driver reports them by setting
// Disconnected.
func (m *Machine) PingReply(n *Node, now time.Time, text string) bool {
	n.LastPong = n.Stamp(now)
	switch {
	case strings.HasPrefix(text, "PONG"), strings.HasPrefix(text, "LOADING"), strings.HasPrefix(text, "MASTERDOWN"):
		n.LastAvail = n.Stamp(now)
		n.ActPing = 0
		if n.Flags&FlagMasterReboot != 0 && strings.HasPrefix(text, "PONG") {
			n.Flags &^= FlagMasterReboot
		}
		return true
	case strings.HasPrefix(text, "BUSY") && n.Flags&FlagSDown != 0 && n.Flags&FlagScriptKillSent == 0:
		// A script is blocking the instance: kill it, once.
		n.Flags |= FlagScriptKillSent
		m.do(Action{Kind: ScriptKill, Node: n})
	}
	return false
}

// PeerAvail records a valid PING reply on a peer link shared with other
// masters (the driver's peer pool), at a: one PONG answers for every
// master's view of that peer process.
func (m *Machine) PeerAvail(n *Node, a time.Time) {
	n.LastAvail, n.LastPong, n.ActPing = n.Stamp(a), n.Stamp(a), 0
}

// SharedPeerReply passes the last valid PING reply read on a peer link
// shared with other masters (at a; this view took the link at since) on
// to this view of the peer, and reports whether the driver may count the
// view's link as up again. Both drivers, production's and the
// simulator's, ask it at every tick.
//
// The reply is taken whenever it is newer than what the view has, however
// old: it was once taken only within a PING period of it, and under load
// (a thousand masters failing over) the shared link's replies came
// 280–450 ms apart, more than a PING period, so most ticks passed nothing
// on. A view whose PINGs the other masters' views sent then judged the
// peer by its own last reply, seconds old, and saw a peer that had
// answered 283 ms before subjectively down: 460–1,312 +sdown of healthy
// peers in two of three 1,000-master runs (BENCHMARKS.md, eighth
// session). An old reply does not make the link up again, though: only
// one within a PING period does. A reply from before the view took the
// link says nothing of the link it has.
func (m *Machine) SharedPeerReply(n *Node, a, since, now time.Time, t Timing) (linkUp bool) {
	if !a.After(n.At(n.LastAvail)) || !a.After(since) {
		return false
	}
	m.PeerAvail(n, a)
	return now.Sub(a) < m.PingPeriod(t)
}
