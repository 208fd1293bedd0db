package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// NoGiveUpWithReplicaInReach: a failover leader gives up for want of a
// good replica (-failover-abort-no-good-slave) only when none it knows
// could be promoted in the time select_slave waits. An aborted failover
// that settles later breaks no safety or settling invariant, so without
// this check the simulator passed with either of the 1,000-master
// bench's select bugs planted (MutantSelectGraceOnly,
// MutantNegativeInfoAge), which cost every master they hit two failover
// timeouts.
const NoGiveUpWithReplicaInReach = "a leader never gives up for want of a good replica while one in reach answers"

// The check judges by the ground truth, conservatively: a replica counts
// when, for the whole select_slave window and a reach window before it,
// nothing came between it and the leader (sim.World.Calm: no crash,
// restart, freeze or clock jump of either, no network rule or loss), it
// followed the failed master all along with its link up or down no
// longer than selection tolerates, its priority is not 0, and it
// answered soon enough: its own late reads (a loaded host,
// sim.World.TrailReads) within the leader's link timeout and within what
// its last PING reply may be behind, and with the leader's own late
// reads within what select_slave waits. Such a replica's PING and INFO
// replies come in time for it to be selected, so giving up is a bug.

// selectMargin covers a tick to send, a tick to notice, and the network.
const selectMargin = 500 * time.Millisecond

// selectBegins records that sentinel s entered select_slave for master.
func (r *reach) selectBegins(s, master string) { r.selecting[[2]string{s, master}] = r.w.Now() }

// gaveUp checks sentinel s giving up the failover of master, whose
// machine is m, for want of a good replica.
func (r *reach) gaveUp(s, master string, m *failover.Machine) error {
	w := r.w
	k := [2]string{s, master}
	began, ok := r.selecting[k]
	if !ok {
		return nil
	}
	win := w.Now().Sub(began) + r.window
	if view, ok := r.began[k]; !ok || w.Now().Sub(view) < win {
		return nil // replicas made anew since: maybe not heard from yet
	}
	for _, name := range r.groups[master] {
		if why, ok := r.promotable(s, name, m, win); ok {
			return &invariant.Violation{Invariant: NoGiveUpWithReplicaInReach,
				Now:     fmt.Sprintf("%s gave up the failover of %s (-failover-abort-no-good-slave) %v into select_slave", s, master, w.Now().Sub(began)),
				Earlier: fmt.Sprintf("replica %s %s", name, why)}
		}
	}
	return nil
}

// promotable says whether server name was a replica sentinel s could
// have promoted all through the last win, and why.
func (r *reach) promotable(s, name string, m *failover.Machine, win time.Duration) (string, bool) {
	w := r.w
	srv, _ := w.Node(name).(*simredis.Server)
	ep := w.Endpoint(name)
	if srv == nil || !w.Calm(s, name, win) || !listed(m, ep.Addr()) {
		return "", false
	}
	now := ep.Now() // its clock did not jump within win (Calm)
	following, since := srv.Following()
	if following != toSim(m.Master.Addr) || now.Sub(since) < win || srv.Priority() == 0 {
		return "", false
	}
	// failover.Select drops a replica cut from its master for longer
	// than the master has been down plus ten down-after periods.
	if down, ever := srv.LinkDownFor(now); !ever || down > 10*r.cfg.DownAfter-selectMargin {
		return "", false
	}
	// Its replies come its read delay late: past the link timeout the
	// link drops, and a PING reply comes a ping period after the last
	// one was read, which select wants at most five ping periods old.
	dr, ds := w.ReadDelay(name, win), w.ReadDelay(s, win)
	if dr > linkTimeout(r.cfg.DownAfter)-selectMargin || dr > 4*r.timing.PingPeriod-selectMargin ||
		dr+ds > m.SelectPatience(r.timing)-selectMargin {
		return "", false
	}
	return fmt.Sprintf("followed it all along, priority %d, with nothing between it and %s for %v; it read at most %v late, %s %v",
		srv.Priority(), s, win, dr, s, ds), true
}

// listed says whether the machine knows a replica at addr.
func listed(m *failover.Machine, addr sim.Addr) bool {
	for _, r := range m.Replicas {
		if r.Addr.Host == addr.Host && r.Addr.Port == addr.Port {
			return true
		}
	}
	return false
}

// toSim is a machine's address as the simulated network's.
func toSim(a failover.Addr) sim.Addr { return sim.Addr{Host: a.Host, Port: a.Port} }
