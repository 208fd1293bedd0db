package failover

import (
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// Reset is sentinelResetMaster: forget the replicas (and the peers unless
// keepSentinels), reconnect, and allow an immediate new failover.
// announce says whether to publish it (+reset-master).
func (m *Machine) Reset(keepSentinels, announce bool, now time.Time) {
	for k, r := range m.Replicas {
		m.do(Action{Kind: CloseLink, Node: r, From: r.Addr})
		delete(m.Replicas, k)
	}
	if !keepSentinels {
		for k, si := range m.Sentinels {
			m.do(Action{Kind: CloseLink, Node: si})
			delete(m.Sentinels, k)
		}
	}
	m.changed()
	n := m.Master
	m.do(Action{Kind: CloseLink, Node: n, From: n.Addr})
	n.Flags = 0
	m.Leader = ""
	m.Coordinated = false
	m.State = StateNone
	m.FailoverStateSince = 0
	m.FailoverStartTime = 0
	n.RunID = ""
	n.MasterHost = ""
	n.ActPing = n.Stamp(now)
	n.LastPing = 0
	n.LastAvail = n.Stamp(now)
	n.LastPong = n.Stamp(now)
	n.RoleReportedTime = n.Stamp(now)
	n.RoleReported = KindMaster
	if announce {
		m.emit(event.LevelWarning, "+reset-master", n, "")
	}
}

// SwitchMaster is sentinelResetMasterAndChangeAddress: the master moves to
// addr; the old master and every other replica become its replicas.
func (m *Machine) SwitchMaster(addr Addr, now time.Time) {
	var keep []Addr
	for _, r := range m.SortedReplicas() {
		if r.Addr != addr {
			keep = append(keep, r.Addr)
		}
	}
	if addr != m.Master.Addr {
		keep = append(keep, m.Master.Addr)
	}
	moved := addr != m.Master.Addr
	m.Reset(true, false, now)
	m.Master.Addr = addr
	if moved {
		// Another server: what we knew of the old one's fence is void,
		// and the new one may lift the fence it kept (fence.go).
		m.Master.FenceSent, m.Master.FenceSwitch = -1, m.Master.Stamp(now)
		m.LastSwitch = m.Stamp(now)
		// So are the peers' answers: they said the old server was down.
		// redis-sentinel keeps them (until five ask periods old) and
		// counts them for the new master, which then goes objectively
		// down the moment we alone see it silent.
		for _, si := range m.Sentinels {
			si.Flags &^= FlagMasterDown
		}
	}
	m.Master.ODownSince = 0
	m.Master.SDownSince = 0
	for _, a := range keep {
		m.addReplica(a, now)
	}
	m.persist()
}

// AddReplica adds a replica the master's INFO listed (the driver decides
// whether its address can be used: resolve-hostnames), unless known.
func (m *Machine) AddReplica(a Addr, now time.Time) {
	if m.addReplica(a, now) {
		m.persist()
	}
}

// putReplica files r under its address. The map is made with the first
// replica: a master without any (a fleet's spare ports, a fake master in
// the benchmark) keeps none, 58 bytes each at 5,000 masters.
func (m *Machine) putReplica(r *Node) {
	if m.Replicas == nil {
		m.Replicas = map[string]*Node{}
	}
	m.Replicas[r.Addr.String()] = r
}

// addReplica adds a replica unless known, and reports whether it did.
func (m *Machine) addReplica(a Addr, now time.Time) bool {
	if _, ok := m.Replicas[a.String()]; ok {
		return false
	}
	// a may come from a master's INFO text (a slice of it): the node
	// keeps a copy of the host, not the whole text.
	a.Host = strings.Clone(a.Host)
	r := NewNode(KindReplica, a.String(), a, now)
	m.putReplica(r)
	m.changed()
	m.emit(event.LevelNotice, "+slave", r, "")
	return true
}

// ForgetPeer drops a peer that another master learned is gone (its
// address now belongs to a restarted sentinel) or moved (addr set: the
// peer is kept, at its new address, and reconnected).
func (m *Machine) ForgetPeer(runID string, moved *Addr) {
	si := m.Sentinels[runID]
	if si == nil {
		return
	}
	if moved != nil {
		if si.Addr == *moved {
			return
		}
		m.do(Action{Kind: CloseLink, Node: si})
		si.Addr = *moved
		m.persist()
		return
	}
	m.do(Action{Kind: CloseLink, Node: si})
	delete(m.Sentinels, runID)
	m.changed()
	m.persist()
}
