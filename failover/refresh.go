package failover

import (
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// Info is sentinelRefreshInstanceInfo: record what n's INFO says, then act
// on it (notice reboots and role changes, detect the promotion we wait
// for, fix replicas that follow the wrong master, follow the replicas'
// reconfiguration). Replicas listed by a master's INFO are the driver's to
// add (AddReplica), first: only it knows which addresses it can use. While
// tilt, facts are recorded and nothing is decided.
func (m *Machine) Info(n *Node, now time.Time, t Timing, tilt bool, text string, r InfoReport) {
	n.Info = text
	n.MasterLinkDownTime = r.MasterLinkDownTime
	// The report's strings are slices of text: what is kept is copied,
	// and only when it changes, or a node would keep every INFO text
	// that ever told it something new alive beside the last one (a
	// replica its master_host's, a replica its master's through its
	// address): at 50 masters half of the live heap.
	if n.FailoverReported != r.FailoverState {
		n.FailoverReported = strings.Clone(r.FailoverState)
	}

	if r.RunID != "" && n.RunID != r.RunID {
		if n.RunID != "" {
			m.emit(event.LevelNotice, "+reboot", n, "")
			if n.Kind == KindMaster && m.Config.RebootDownAfter != 0 {
				n.Flags |= FlagMasterReboot
				n.MasterRebootFrom = n.Stamp(now)
			}
		}
		n.RunID = strings.Clone(r.RunID)
	}
	if r.Role == KindMaster {
		n.MasterReplOffset = r.MasterReplOffset
	}
	if r.Role == KindReplica {
		if r.MasterHost != n.MasterHost {
			n.MasterHost = strings.Clone(r.MasterHost)
			n.SlaveConfChange = n.Stamp(now)
		}
		if r.MasterPort != n.MasterPort {
			n.MasterPort = r.MasterPort
			n.SlaveConfChange = n.Stamp(now)
		}
		n.MasterLinkUp = r.MasterLinkUp
		if r.SlavePriority >= 0 {
			n.SlavePriority = r.SlavePriority
		}
		if r.HasReplOffset {
			n.ReplOffset = r.SlaveReplOffset
		}
		if r.ReplicaAnnounced >= 0 {
			n.ReplicaAnnounced = r.ReplicaAnnounced
		}
	}
	n.InfoRefresh = n.Stamp(now)

	role := r.Role
	if role == KindSentinel {
		return // no role line: nothing more to learn
	}
	if role != n.RoleReported {
		n.RoleReportedTime = n.Stamp(now)
		n.RoleReported = role
		if role == KindReplica {
			n.SlaveConfChange = n.Stamp(now)
		}
		typ := event.Kind("-role-change")
		if n.Kind == role {
			typ = "+role-change"
		}
		word := "slave"
		if role == KindMaster {
			word = "master"
		}
		m.emit(event.LevelVerbose, typ, n, "new reported role is "+word)
	}
	if tilt {
		return
	}
	if n == m.Master && role == KindMaster {
		m.fence(n, now, t, r)
	}
	if n.Kind == KindReplica && role == KindMaster {
		m.replicaIsMaster(n, now, t)
	}
	if n.Kind == KindReplica && role == KindReplica {
		m.replicaFollows(n, now, t)
	}
}

// replicaIsMaster handles a replica reporting role master: the one we
// promoted, or one that turned master on its own.
func (m *Machine) replicaIsMaster(n *Node, now time.Time, t Timing) {
	if n.Flags&FlagPromoted != 0 && m.InProgress() && m.State == StateWaitPromotion {
		m.promoted(n, now, t)
		return
	}
	// Wait for newer configurations to reach us, then force our view on it.
	wait := 4 * t.PublishPeriod
	if n.Flags&FlagPromoted == 0 && m.MasterLooksSane(now, t) &&
		noDownFor(n, now, wait) && now.Sub(n.At(n.RoleReportedTime)) > wait && !n.Disconnected {
		m.slaveOf(n, m.Master.Addr)
		m.emit(event.LevelNotice, "+convert-to-slave", n, "")
	}
}

// replicaFollows handles a replica reporting role slave: fix it if it
// follows the wrong master, and follow its reconfiguration during a
// failover.
func (m *Machine) replicaFollows(n *Node, now time.Time, t Timing) {
	if n.MasterPort != m.Master.Addr.Port || !m.sameHost(m.Master.Addr.Host, n.MasterHost) {
		wait := m.FailoverTimeout(t)
		if m.MasterLooksSane(now, t) && noDownFor(n, now, wait) && now.Sub(n.At(n.SlaveConfChange)) > wait && !n.Disconnected {
			m.slaveOf(n, m.Master.Addr)
			m.emit(event.LevelNotice, "+fix-slave-config", n, "")
		}
	}
	if n.Flags&(FlagReconfSent|FlagReconfInprog) == 0 {
		return
	}
	p := m.Promoted()
	if p == nil {
		return
	}
	if n.Flags&FlagReconfSent != 0 && n.MasterHost != "" &&
		m.sameHost(p.Addr.Host, n.MasterHost) && n.MasterPort == p.Addr.Port {
		n.Flags &^= FlagReconfSent
		n.Flags |= FlagReconfInprog
		m.emit(event.LevelNotice, "+slave-reconf-inprog", n, "")
	}
	if n.Flags&FlagReconfInprog != 0 && n.MasterLinkUp {
		n.Flags &^= FlagReconfInprog
		n.Flags |= FlagReconfDone
		m.emit(event.LevelNotice, "+slave-reconf-done", n, "")
	}
}
