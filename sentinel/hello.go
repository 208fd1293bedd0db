package sentinel

import "github.com/qsentinel/qsentinel/failover"

// Hello is a parsed hello message (failover.Hello).
type Hello = failover.Hello

// ProcessHello is sentinelProcessHelloMessage: the master's machine learns
// the sender as a peer, a newer epoch, a newer configuration; a peer that
// moved or was replaced is then updated in every other master. Hellos for
// masters we do not monitor are ignored.
func (s *Sentinel) ProcessHello(payload string) {
	h, ok := failover.ParseHello(payload)
	if !ok || h.RunID == s.myID {
		return
	}
	g := s.group(h.MasterName)
	if g == nil {
		return
	}
	g.mu.Lock()
	res := g.m.Hello(h, s.clock.Now())
	g.apply()
	g.mu.Unlock()
	if res.Moved {
		addr := h.Addr
		s.updatePeers(h.RunID, &addr, g)
	}
	if res.Obsolete != "" {
		s.updatePeers(res.Obsolete, nil, g)
	}
}

// updatePeers moves a peer to its new address (moved set) or forgets it
// (moved nil) in every group but skip
// (sentinelUpdateSentinelAddressInAllMasters, and the removal of a
// replaced run id).
func (s *Sentinel) updatePeers(runID string, moved *Addr, skip *group) {
	for _, g := range s.groupList() {
		if g == skip {
			continue
		}
		g.mu.Lock()
		g.m.ForgetPeer(runID, moved)
		g.apply()
		g.mu.Unlock()
	}
}
