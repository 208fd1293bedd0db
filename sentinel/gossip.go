package sentinel

import (
	"context"
	"github.com/qsentinel/qsentinel/failover"
	"strconv"
	"time"

	"github.com/qsentinel/qsentinel/quorum"
)

// GossipOptions turn on the memberlist layer between our instances (see
// quorum.Gossip). Real redis-sentinels are unaffected by it.
type GossipOptions struct {
	Bind      string // host:port
	Advertise string // host:port; empty: Bind
	Join      []string
	SecretKey []byte
}

// runGossip joins the gossip cluster and spreads our view every ask
// period, and at once whenever a master's down state changes here.
func (s *Sentinel) runGossip(ctx context.Context) {
	o := s.opts.Gossip
	g, err := quorum.StartGossip(quorum.GossipConfig{
		Name: s.myID, Bind: o.Bind, Advertise: o.Advertise, Join: o.Join,
		SecretKey: o.SecretKey, Logger: s.logger,
	}, s.gossipView, func(v quorum.View) { s.onGossipView(ctx, v) })
	if err != nil {
		s.logger.Warn("gossip disabled", "err", err)
		return
	}
	s.logger.Info("gossip started", "bind", o.Bind, "members", g.Members())
	s.gossipMu.Lock()
	s.gossip = g
	s.gossipMu.Unlock()
	defer func() {
		s.gossipMu.Lock()
		s.gossip = nil
		s.gossipMu.Unlock()
		g.Leave(time.Second)
	}()
	// Every ask period, read at each round so that SENTINEL DEBUG
	// ask-period reaches it (a ticker made once at the start did not).
	tick := time.NewTimer(s.timing().AskPeriod)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.gossipKick:
		}
		g.Broadcast()
		tick.Reset(s.timing().AskPeriod) // Go 1.23+: no stale tick survives a Reset
	}
}

// GossipMembers is the number of live gossip members (ourselves included),
// or -1 when gossip is off.
func (s *Sentinel) GossipMembers() int {
	s.gossipMu.Lock()
	defer s.gossipMu.Unlock()
	if s.gossip == nil {
		return -1
	}
	return s.gossip.Members()
}

// kickGossip asks for an immediate broadcast; never blocks.
func (s *Sentinel) kickGossip() {
	select {
	case s.gossipKick <- struct{}{}:
	default:
	}
}

func (s *Sentinel) gossipView() quorum.View {
	ip, port := s.announce()
	if ip == "" && s.opts.Gossip != nil {
		adv := s.opts.Gossip.Advertise
		if adv == "" {
			adv = s.opts.Gossip.Bind
		}
		if h, _, ok := cutHostPort(adv); ok {
			ip = h
		}
	}
	v := quorum.View{RunID: s.myID, IP: ip, Port: port, Epoch: s.CurrentEpoch()}
	tilt := s.updateTilt()
	for _, g := range s.groupList() {
		g.mu.Lock()
		// The master we announce, as in hello (sentinelGetCurrentMasterAddress):
		// the promoted replica once it took the failover's config epoch.
		// The old address beside the new epoch would make a peer adopt the
		// epoch without the switch, and then ignore the hello that names
		// the new master at that same epoch.
		cur := g.m.CurrentMasterAddr()
		v.Masters = append(v.Masters, quorum.MasterView{
			Name: g.name, Host: cur.Host, Port: cur.Port,
			ConfigEpoch: g.m.ConfigEpoch, Down: !tilt && g.master.Flags&failover.FlagSDown != 0,
		})
		g.mu.Unlock()
	}
	return v
}

// onGossipView treats a peer's view as a hello (discovery, epochs, newer
// configurations) plus an answer to is-master-down-by-addr for each master.
func (s *Sentinel) onGossipView(ctx context.Context, v quorum.View) {
	if v.RunID == s.myID || v.IP == "" || v.Port <= 0 {
		return
	}
	for _, mv := range v.Masters {
		g := s.group(mv.Name)
		if g == nil {
			continue
		}
		processHello(s, v.IP+","+strconv.Itoa(v.Port)+","+v.RunID+","+
			strconv.FormatUint(v.Epoch, 10)+","+mv.Name+","+mv.Host+","+
			strconv.Itoa(mv.Port)+","+strconv.FormatUint(mv.ConfigEpoch, 10))
		g.mu.Lock()
		si := g.m.Sentinels[v.RunID]
		if si != nil {
			g.m.PeerOpinion(si, Addr{Host: mv.Host, Port: mv.Port}, s.clock.Now(), s.timing(), s.updateTilt(), mv.Down)
			g.apply()
		}
		g.mu.Unlock()
	}
}

func cutHostPort(s string) (string, string, bool) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			h := s[:i]
			if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
				h = h[1 : len(h)-1]
			}
			return h, s[i+1:], true
		}
	}
	return "", "", false
}
