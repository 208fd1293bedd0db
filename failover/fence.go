package failover

import (
	"strconv"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// DefaultFenceMaxLag is fence-max-lag when unset, in seconds. Replicas
// acknowledge once a second and redis counts lag in whole seconds, so 1
// can refuse writes on a healthy pair whenever one acknowledgement is a
// little late; 2 cannot.
const DefaultFenceMaxLag = 2

// Fencing (issue 17 item 4) stops a partitioned old master from
// acknowledging writes that its demotion will drop. The sentinels keep
// redis's own min-replicas-to-write at fence-min-replicas on the master
// while that many replicas are attached: a master cut from its replicas
// then refuses writes (NOREPLICAS) within fence-max-lag seconds, on its
// own, without anyone reaching it. A promoted replica has no replica yet,
// so the promotion transaction lifts its fence (SlaveOf's Unfence) and it
// takes writes at once; the fence is raised again when a replica
// attaches.
//
// A fence is only ever lifted by the sentinels that moved the master to
// this server, within failover-timeout of the switch (a failover by a
// redis-sentinel leader, which knows nothing of fences, leaves the fence
// the promoted server may have kept from an earlier term), or after an
// operator turned fencing off. Never because replicas went away: a
// sentinel next to a partitioned old master sees exactly that, and
// lifting there is the loss fencing exists to prevent. A master whose
// every replica is gone for good refuses writes until one is back or the
// operator sets fence-min-replicas to 0, as redis's own option does.

// fenceMaxLag is the lag the fence allows.
func (m *Machine) fenceMaxLag() int {
	if m.Config.FenceMaxLag > 0 {
		return m.Config.FenceMaxLag
	}
	return DefaultFenceMaxLag
}

// fence decides on the master's fence from its INFO.
func (m *Machine) fence(n *Node, now time.Time, t Timing, r InfoReport) {
	want := m.Config.FenceReplicas
	if m.InProgress() || n.Down() {
		return
	}
	good := r.GoodReplicas(m.fenceMaxLag())
	switch {
	case want == 0:
		if r.Fenced && n.FenceSent > 0 {
			m.setFence(n, 0)
		}
	case good >= want:
		if !r.Fenced || n.FenceSent != want {
			m.setFence(n, want)
		}
		n.FenceSwitch = 0
	case r.Fenced && n.FenceSent != 0 && !n.FenceSwitch.IsZero() &&
		now.Sub(n.At(n.FenceSwitch)) < m.FailoverTimeout(t):
		m.setFence(n, 0)
	}
}

// setFence asks the driver to set the master's min-replicas-to-write.
func (m *Machine) setFence(n *Node, replicas int) {
	n.FenceSent = replicas
	a := Action{Kind: Fence, Node: n, Replicas: replicas, MaxLag: m.fenceMaxLag()}
	m.do(a)
	if replicas == 0 {
		m.emit(event.LevelNotice, "-fence", n, "")
		return
	}
	m.emit(event.LevelNotice, "+fence", n, "min-replicas-to-write "+strconv.Itoa(replicas)+
		" min-replicas-max-lag "+strconv.Itoa(a.MaxLag))
}
