package failover

import (
	"github.com/qsentinel/qsentinel/event"
	"strconv"
	"strings"
	"time"
)

// Hello is a parsed hello message: who sent it, and what the sender thinks
// the master's address and config epoch are.
type Hello struct {
	Addr         Addr
	RunID        string
	CurrentEpoch uint64
	MasterName   string
	MasterAddr   Addr
	ConfigEpoch  uint64
}

// ParseHello reads the 8-field hello payload
// "ip,port,runid,current_epoch,master_name,master_ip,master_port,config_epoch".
// Numbers are read the lenient C way (atoi/strtoull), as redis-sentinel does,
// so that what it accepts we accept.
func ParseHello(payload string) (Hello, bool) {
	// Into an array, not strings.Split's slice: hellos arrive every 2 s
	// per master from every peer, and nothing here needs to outlive it.
	var t [8]string
	rest := payload
	for k := range t {
		var found bool
		t[k], rest, found = strings.Cut(rest, ",")
		if found != (k < len(t)-1) {
			return Hello{}, false // fewer or more than 8 fields
		}
	}
	h := Hello{
		Addr:         Addr{Host: t[0], Port: atoiPrefix(t[1])},
		RunID:        t[2],
		CurrentEpoch: parseUintPrefix(t[3]),
		MasterName:   t[4],
		MasterAddr:   Addr{Host: t[5], Port: atoiPrefix(t[6])},
		ConfigEpoch:  parseUintPrefix(t[7]),
	}
	if h.Addr.Host == "" || h.RunID == "" || h.Addr.Port < 0 || h.Addr.Port > 65535 ||
		h.MasterAddr.Port < 0 || h.MasterAddr.Port > 65535 {
		return Hello{}, false
	}
	return h, true
}

func parseUintPrefix(s string) uint64 {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseUint(s[:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// HelloResult tells the driver what a hello changed beyond this master:
// a peer that moved or is gone must be updated in every other master.
type HelloResult struct {
	// Moved is set when the sender's run id was known at another
	// address: every master's view of it moves there.
	Moved bool
	// Obsolete is the run id of a peer whose address the sender now
	// holds (a restarted sentinel): it is gone from every master.
	Obsolete string
}

// Hello is the per-master part of sentinelProcessHelloMessage: learn the
// sender as a peer, adopt a newer epoch, and switch the master if the
// sender knows a newer configuration. The driver checks that h is about
// this master and not from us.
func (m *Machine) Hello(h Hello, now time.Time) HelloResult {
	var res HelloResult
	si := m.Sentinels[h.RunID]
	if si != nil && si.Addr != h.Addr {
		// Same run id at a new address: the peer moved.
		m.do(Action{Kind: CloseLink, Node: si})
		delete(m.Sentinels, h.RunID)
		m.changed()
		si = nil
		res.Moved = true
		m.emitf(event.LevelNotice, "+sentinel-address-switch", m.Master, "ip %s port %d for %s", h.Addr.Host, h.Addr.Port, h.RunID)
	} else if si == nil {
		// A new run id on a known address: that address now belongs to a
		// restarted peer; the old identity is gone from every master.
		for _, other := range m.SortedPeers() {
			if other.Addr == h.Addr {
				m.emit(event.LevelNotice, "+sentinel-invalid-addr", other, "")
				res.Obsolete = other.RunID
				m.do(Action{Kind: CloseLink, Node: other})
				delete(m.Sentinels, other.Name)
				m.changed()
				break
			}
		}
	}
	if si == nil {
		si = NewNode(KindSentinel, h.RunID, h.Addr, now)
		si.RunID = h.RunID
		m.Sentinels[h.RunID] = si
		m.changed()
		if !res.Moved {
			m.emit(event.LevelNotice, "+sentinel", si, "")
		}
		m.persist()
		// The newcomer may have subscribed after our last hello: answer
		// at the next tick instead of a publish period later, so a group
		// that starts together knows itself in one round trip.
		m.do(Action{Kind: Announce})
	}
	if m.env.Epochs.Bump(h.CurrentEpoch) {
		m.persist()
		m.emitNewEpoch(h.CurrentEpoch)
	}
	if m.ConfigEpoch < h.ConfigEpoch {
		m.ConfigEpoch = h.ConfigEpoch
		m.persist()
		// The peer names the master as it announces it (an IP, or a name
		// with announce-hostnames): compare as sentinelAddrEqualsHostname.
		differs := func(a Addr) bool { return h.MasterAddr.Port != a.Port || !m.sameHost(a.Host, h.MasterAddr.Host) }
		old := m.Master.Addr
		if !differs(old) {
			// It names the master we hold, but once our own failover
			// reconfigures the replicas we announce the promoted one
			// (CurrentMasterAddr). redis-sentinel compares with the
			// master only, keeps its failover and so announces its
			// promoted replica at the newer epoch: two masters for one
			// epoch (the simulator's invariant, Chaos seed 372). The
			// newer configuration supersedes our failover; SwitchMaster
			// ends it.
			old = m.CurrentMasterAddr()
		}
		if differs(old) {
			m.emit(event.LevelWarning, "+config-update-from", si, "")
			m.emitSwitch(old, h.MasterAddr)
			m.SwitchMaster(h.MasterAddr, now)
			m.do(Action{Kind: ClientReconfig, Role: "observer", State: "start", From: old, To: h.MasterAddr})
		}
		// Tell the others at the next tick, not a publish period later:
		// each peer's agent counts who announced the new configuration
		// (Agreement), and until we do we count against it.
		m.do(Action{Kind: Announce})
	}
	si.LastHello = si.Stamp(now)
	si.HelloMaster, si.HelloConfigEpoch, si.HelloAt = h.MasterAddr, h.ConfigEpoch, si.Stamp(now)
	return res
}
