package failover

import (
	"errors"
	"time"
)

// Why an operator's failover cannot start (the driver answers with
// redis-sentinel's texts).
var (
	ErrInProgress    = errors.New("failover already in progress")
	ErrNoGoodReplica = errors.New("no suitable replica to promote")
)

// userFailoverSettle is how long after a SENTINEL FAILOVER another one
// answers -INPROG even when ours has already ended. redis-sentinel's
// forced failover cannot end before its promoted replica answers an INFO
// at the one-second failover period (1.2 s typically), and clients that
// send the command twice see -INPROG for that long; ours polls the
// replica at tick rate and may be done in 100 ms, after which a second
// command would fail straight back to the old master.
const userFailoverSettle = 1200 * time.Millisecond

// CanFailover is the check SENTINEL FAILOVER makes before it starts one:
// none in progress, and a replica to promote.
func (m *Machine) CanFailover(now time.Time, t Timing) error {
	if m.InProgress() || !m.UserFailoverAt.IsZero() && now.Sub(m.At(m.UserFailoverAt)) < userFailoverSettle {
		return ErrInProgress
	}
	if m.SelectReplica(now, t) == nil {
		return ErrNoGoodReplica
	}
	return nil
}

// UserFailover is SENTINEL FAILOVER <name>: a failover without agreement,
// started now. step says whether to take its first steps at once (the
// driver is running; before that the first tick does).
func (m *Machine) UserFailover(now time.Time, t Timing, step bool) error {
	if err := m.CanFailover(now, t); err != nil {
		return err
	}
	m.startFailover(now)
	m.UserFailoverAt = m.Stamp(now)
	m.Master.Flags |= FlagForceFailover
	if step {
		m.step(now, t)
	}
	return nil
}

// Switchover is SENTINEL FAILOVER <name> COORDINATED, as Valkey 9 runs it:
// a failover the master itself carries out with FAILOVER TO, so that no
// acknowledged write is lost. Unlike a plain SENTINEL FAILOVER it is not
// forced: the sentinels elect a leader first, and only the leader acts.
// Valkey marks the master subjectively down for the election (peers are
// only asked about a master that is down; the next check clears the mark
// with -sdown, as in Valkey). The driver checks first that the master
// has FAILOVER at all.
func (m *Machine) Switchover(now time.Time, t Timing, step bool) error {
	if err := m.CanFailover(now, t); err != nil {
		return err
	}
	n := m.Master
	n.SDownSince = n.Stamp(now)
	n.Flags |= FlagSDown
	m.startFailover(now)
	m.UserFailoverAt = m.Stamp(now)
	m.Coordinated = true
	n.Flags |= FlagCoordFailover
	if step {
		m.askPeers(now, t, true)
		m.step(now, t)
	}
	return nil
}

// HelloBlocked says whether a hello to n would wait behind a client
// pause: to the master during a coordinated failover until the promotion,
// and to any instance reporting a FAILOVER of its own in progress (Valkey
// does not publish then either).
func (m *Machine) HelloBlocked(n *Node) bool {
	if n == m.Master && m.Coordinated && m.State <= StateWaitPromotion {
		return true
	}
	return n.FailoverReported != "" && n.FailoverReported != "no-failover"
}
