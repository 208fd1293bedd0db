package sentinel

import (
	"strconv"
	"strings"
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
	t := strings.Split(payload, ",")
	if len(t) != 8 {
		return Hello{}, false
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

// ProcessHello is sentinelProcessHelloMessage: learn the sender as a peer,
// adopt a newer epoch, and switch the master if the sender knows a newer
// configuration. Hellos for masters we do not monitor are ignored.
func (s *Sentinel) ProcessHello(payload string) {
	h, ok := ParseHello(payload)
	if !ok || h.RunID == s.myID {
		return
	}
	g := s.group(h.MasterName)
	if g == nil {
		return
	}
	var obsolete string
	switched := false
	g.mu.Lock()
	now := s.clock.Now()
	si := g.sentinels[h.RunID]
	if si != nil && si.addr != h.Addr {
		// Same run id at a new address: the peer moved.
		g.closeLink(si)
		delete(g.sentinels, h.RunID)
		si = nil
		switched = true
		g.emitf(LevelNotice, "+sentinel-address-switch", g.master, "ip %s port %d for %s", h.Addr.Host, h.Addr.Port, h.RunID)
		defer s.updatePeerAddress(h.RunID, h.Addr, g)
	} else if si == nil {
		// A new run id on a known address: that address now belongs to a
		// restarted peer; the old identity is gone from every master.
		for _, other := range g.sentinels {
			if other.addr == h.Addr {
				g.emit(LevelNotice, "+sentinel-invalid-addr", other, "")
				obsolete = other.runID
				g.closeLink(other)
				delete(g.sentinels, other.name)
				break
			}
		}
	}
	if si == nil {
		si = newInstance(KindSentinel, h.RunID, h.Addr, now)
		si.runID = h.RunID
		g.sentinels[h.RunID] = si
		if !switched {
			g.emit(LevelNotice, "+sentinel", si, "")
		}
		s.markDirty()
		// The newcomer may have subscribed after our last hello: answer at
		// the next tick instead of a publish period later, so a group that
		// starts together knows itself in one round trip.
		g.forceHello()
	}
	if s.bumpEpoch(h.CurrentEpoch) {
		g.emitNewEpoch(h.CurrentEpoch)
	}
	if g.configEpoch < h.ConfigEpoch {
		g.configEpoch = h.ConfigEpoch
		s.markDirty()
		// The peer names the master as it announces it (an IP, or a
		// name with announce-hostnames): compare as sentinelAddrEqualsHostname.
		if h.MasterAddr.Port != g.master.addr.Port || !s.sameHost(g.master.addr.Host, h.MasterAddr.Host) {
			old := s.shown(g.master.addr)
			g.emit(LevelWarning, "+config-update-from", si, "")
			g.emitSwitchMaster(g.master.addr, h.MasterAddr)
			g.switchMaster(h.MasterAddr, now)
			g.clientReconfig("observer", "start", old, h.MasterAddr)
		}
	}
	si.lastHello = now
	g.mu.Unlock()
	if obsolete != "" {
		s.forgetPeer(obsolete, g)
	}
}

// forgetPeer removes a peer run id from every group but skip.
func (s *Sentinel) forgetPeer(runID string, skip *group) {
	for _, g := range s.groupList() {
		if g == skip {
			continue
		}
		g.mu.Lock()
		if si := g.sentinels[runID]; si != nil {
			g.closeLink(si)
			delete(g.sentinels, runID)
			s.markDirty()
		}
		g.mu.Unlock()
	}
}

// updatePeerAddress moves a peer to its new address in every other group
// (sentinelUpdateSentinelAddressInAllMasters).
func (s *Sentinel) updatePeerAddress(runID string, addr Addr, skip *group) {
	for _, g := range s.groupList() {
		if g == skip {
			continue
		}
		g.mu.Lock()
		if si := g.sentinels[runID]; si != nil && si.addr != addr {
			g.closeLink(si)
			si.addr = addr
			s.markDirty()
		}
		g.mu.Unlock()
	}
}
