package failover

import (
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// Fail-closed discovery (issue 17). A sentinel cut off from its group
// together with the master (Aphyr's partition: the master's machine loses
// the network, its sentinel with it) cannot know that the others are
// replacing the master, yet redis-sentinel keeps naming the old master to
// every client that asks it, and a Sentinel-aware client bound to it
// (go-redis asks the sentinel that answered first, on every new
// connection, and keeps its connections) writes to the old master for the
// whole partition; those writes are lost when it is demoted. The HAProxy
// agent already fails closed (Agreement). For Sentinel-aware clients we
// do the same: once a majority of the group is subjectively down to us
// (the down-after of the master, as for any instance) and so is a
// replica of the master, and only if we had reached that majority before
// (a restarted sentinel whose peers are not connected yet is not cut
// off), we
//   - stop naming the master (the driver answers get-master-addr-by-name
//     with nil, as for an unknown master: clients ask the next sentinel);
//   - drop the master's normal clients once (CLIENT KILL TYPE normal), if
//     it answered us within the ping window and we lead no failover of
//     it: a client's connections to it would otherwise outlive our
//     answer.
// The replica is what tells a cut from dead peers: the majority can only
// fail over to a replica it reaches, so while we still reach every
// replica (the peers died, or only the sentinels' links are cut) either
// no failover can happen or we would see its result; we keep naming the
// master then, as redis-sentinel does (a group of two sentinels that
// loses one keeps serving its clients). The price is availability in
// what remains: with a majority of the sentinels and a replica out of our
// reach but the master healthy, clients that find it through us cannot,
// as HAProxy behind the agent cannot. Per master, fail-closed no
// (Config.OpenWhenIsolated) keeps redis-sentinel's behaviour.

// checkIsolation updates Isolated from the peers' subjective down state
// (checkSDown ran first in the same tick).
func (m *Machine) checkIsolation(now time.Time, t Timing) {
	n := len(m.Sentinels)
	down, linked := 0, 0
	for _, si := range m.Sentinels {
		if si.Flags&FlagSDown != 0 {
			down++
		} else if !si.Disconnected {
			linked++
		}
	}
	need := (1+n)/2 + 1
	// Cut off: a majority subjectively down, as slow to decide as a
	// master's down (a link that drops and comes back is not a cut), and
	// a replica the majority may promote out of our sight.
	// Reached: a majority linked and answering, not merely not yet down
	// (a restarted sentinel's peers are not down for down-after, before
	// their links ever come up).
	cut := n > 0 && 1+n-down < need && m.replicaDown()
	if n > 0 && 1+linked >= need {
		m.reachedGroup = true
	}
	switch {
	case !cut || m.Config.OpenWhenIsolated:
		if m.Isolated {
			m.Isolated = false
			m.emitf(event.LevelWarning, "-isolated", m.Master, "%d of %d sentinels reachable", 1+n-down, 1+n)
		}
	case !m.Isolated && m.reachedGroup:
		m.Isolated = true
		m.emitf(event.LevelWarning, "+isolated", m.Master, "%d of %d sentinels reachable", 1+n-down, 1+n)
		// Only on a master we hear now (a valid reply within the ping
		// window, as Agreement counts a peer): a sentinel starved of CPU
		// (1,000 masters on two cores) sees peers, replicas and master
		// all go silent together, and must not drop anyone's clients
		// for it.
		if m.Master.Flags&FlagSDown == 0 && !m.InProgress() && now.Sub(m.Master.At(m.Master.LastAvail)) <= 2*m.PingPeriod(t) {
			m.do(Action{Kind: DropClients, Node: m.Master})
		}
	}
}

// replicaDown reports whether a replica of the master that we have heard
// from is subjectively down to us. A replica that never answered our INFO
// says nothing about a cut: after every switch the old master becomes a
// replica, dead as a rule, and with peers slow to answer (each of them
// saving a vote for each of 200 masters) it made a sentinel that had just
// seen the failover through believe itself cut off, and drop the new
// master's clients.
func (m *Machine) replicaDown() bool {
	for _, r := range m.Replicas {
		if r.Flags&FlagSDown != 0 && !r.InfoRefresh.IsZero() {
			return true
		}
	}
	return false
}
