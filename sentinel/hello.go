package sentinel

import "github.com/qsentinel/qsentinel/failover"

// Hello is a parsed hello message (failover.Hello).
type Hello = failover.Hello

// ProcessHello is sentinelProcessHelloMessage: the master's machine learns
// the sender as a peer, a newer epoch, a newer configuration; a peer that
// moved or was replaced is then updated in every other master. Hellos for
// masters we do not monitor are ignored. payload is read only during the
// call: it may be a link's or a client's read buffer.
func (s *Sentinel) ProcessHello(payload []byte) { processHello(s, payload) }

// processHello is ProcessHello for a payload of either type. A peer
// repeats its hello for a master every publish period, on the master, on
// each replica and to us directly: at 5,000 masters ten thousand a
// second. One that says what the sender's last one for this master said
// is read from the copy kept then (instance.hello); only a new one is
// copied, and nothing else is allocated.
func processHello[T string | []byte](s *Sentinel, payload T) {
	runID, name, ok := helloKey(payload)
	if !ok || string(runID) == s.myID {
		return
	}
	s.mu.RLock()
	g := s.groups[string(name)]
	s.mu.RUnlock()
	if g == nil {
		return
	}
	g.mu.Lock()
	text, known := "", false
	if si := g.m.Sentinels[string(runID)]; si != nil {
		if i := inst(si); i.hello == string(payload) {
			text, known = i.hello, true
		}
	}
	if !known {
		text = string(payload)
	}
	h, ok := failover.ParseHello(text)
	if !ok {
		g.mu.Unlock()
		return
	}
	res := g.m.Hello(h, s.clock.Now())
	if si := g.m.Sentinels[h.RunID]; si != nil {
		inst(si).hello = text
	}
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

// helloKey finds the sender's run id and the master's name, the third and
// fifth of a hello's eight comma-separated fields, without copying them.
// ok is false when there are not exactly eight fields (failover.ParseHello
// checks the rest).
func helloKey[T string | []byte](p T) (runID, name T, ok bool) {
	var start [9]int // start[k]: where field k begins; start[8]: past the end
	k := 0
	for i := 0; i < len(p); i++ {
		if p[i] == ',' {
			if k++; k == 8 {
				return runID, name, false
			}
			start[k] = i + 1
		}
	}
	if k != 7 {
		return runID, name, false
	}
	start[8] = len(p) + 1
	return p[start[2] : start[3]-1], p[start[4] : start[5]-1], true
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
