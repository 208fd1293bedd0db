package quorum

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Gossip joins our instances into a hashicorp/memberlist cluster. It is an
// accelerator, never a requirement: redis-sentinels know nothing of it, so
// every decision still works from hello messages and
// is-master-down-by-addr alone. What it adds between our instances:
//   - a down-opinion reaches every peer the moment it forms, so objective
//     down does not wait for the next ask round;
//   - peers are known before the first hello (a fresh instance joins and at
//     once knows who else watches its masters);
//   - memberlist's failure detector tells which peers are alive.
//
// With a secret key, traffic is encrypted (AES-GCM) and members without
// the key cannot join.
type Gossip struct {
	ml     *memberlist.Memberlist
	logger *slog.Logger
	local  func() View
	onView func(View)

	mu    sync.Mutex
	alive map[string]bool // by node name (run id)
}

// GossipConfig says where to listen and whom to join.
type GossipConfig struct {
	Name      string // our run id: the node name
	Bind      string // host:port to listen on (TCP and UDP)
	Advertise string // host:port others reach us at; empty: Bind
	Join      []string
	SecretKey []byte // 16, 24 or 32 bytes; nil: no encryption
	Logger    *slog.Logger
}

// View is what an instance tells the others: who it is (its sentinel
// address, as in hello) and its opinion on every master it watches.
type View struct {
	RunID   string       `json:"id"`
	IP      string       `json:"ip"`
	Port    int          `json:"port"`
	Epoch   uint64       `json:"epoch"`
	Masters []MasterView `json:"masters"`
}

// MasterView is one master in a View.
type MasterView struct {
	Name        string `json:"name"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	ConfigEpoch uint64 `json:"config_epoch"`
	Down        bool   `json:"down"` // subjectively down for the sender
}

// StartGossip creates the member and joins the given peers (failures to
// join are logged: peers may start later and join us).
func StartGossip(cfg GossipConfig, local func() View, onView func(View)) (*Gossip, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, port, err := splitHostPort(cfg.Bind)
	if err != nil {
		return nil, fmt.Errorf("gossip bind %q: %w", cfg.Bind, err)
	}
	g := &Gossip{logger: cfg.Logger, local: local, onView: onView, alive: map[string]bool{}}
	mc := memberlist.DefaultLANConfig()
	mc.Name = cfg.Name
	mc.BindAddr, mc.BindPort = host, port
	mc.AdvertiseAddr, mc.AdvertisePort = host, port
	if cfg.Advertise != "" {
		if mc.AdvertiseAddr, mc.AdvertisePort, err = splitHostPort(cfg.Advertise); err != nil {
			return nil, fmt.Errorf("gossip advertise %q: %w", cfg.Advertise, err)
		}
	}
	if len(cfg.SecretKey) > 0 {
		switch len(cfg.SecretKey) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("gossip secret key: %d bytes, want 16, 24 or 32", len(cfg.SecretKey))
		}
		mc.SecretKey = cfg.SecretKey
		mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = true, true
	}
	// Fast failure detection on a LAN; the sentinel's own down-after still
	// decides about Redis, this only concerns peers.
	mc.ProbeInterval = 500 * time.Millisecond
	mc.PushPullInterval = 10 * time.Second
	mc.Delegate = g
	mc.Events = g
	mc.Logger = log.New(io.Discard, "", 0)
	ml, err := memberlist.Create(mc)
	if err != nil {
		return nil, fmt.Errorf("gossip: %w", err)
	}
	g.ml = ml
	if len(cfg.Join) > 0 {
		if n, err := ml.Join(cfg.Join); err != nil {
			g.logger.Warn("gossip: join failed (peers may join us later)", "joined", n, "err", err)
		}
	}
	return g, nil
}

func splitHostPort(s string) (string, int, error) {
	h, p, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return h, n, nil
}

// Broadcast sends our current view to every live member now. Views are
// small (one line per master); TCP keeps large ones whole.
func (g *Gossip) Broadcast() {
	buf, err := json.Marshal(g.local())
	if err != nil {
		return
	}
	for _, m := range g.ml.Members() {
		if m.Name == g.ml.LocalNode().Name {
			continue
		}
		if len(buf) < 1000 {
			err = g.ml.SendBestEffort(m, buf)
		} else {
			err = g.ml.SendReliable(m, buf)
		}
		if err != nil {
			g.logger.Debug("gossip: send failed", "to", m.Name, "err", err)
		}
	}
}

// Alive reports whether memberlist currently considers the peer alive,
// and whether the peer is a member at all.
func (g *Gossip) Alive(runID string) (alive, known bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	alive, known = g.alive[runID]
	return alive, known
}

// Members is the number of live members, ourselves included.
func (g *Gossip) Members() int { return g.ml.NumMembers() }

// Leave tells the others we go, then stops.
func (g *Gossip) Leave(timeout time.Duration) {
	g.ml.Leave(timeout)
	g.ml.Shutdown()
}

func (g *Gossip) receive(buf []byte) {
	var v View
	if err := json.Unmarshal(buf, &v); err != nil || v.RunID == "" {
		return
	}
	g.onView(v)
}

// memberlist.Delegate.

func (g *Gossip) NodeMeta(limit int) []byte           { return nil }
func (g *Gossip) NotifyMsg(buf []byte)                { g.receive(append([]byte(nil), buf...)) }
func (g *Gossip) GetBroadcasts(int, int) [][]byte     { return nil }
func (g *Gossip) MergeRemoteState(buf []byte, _ bool) { g.receive(buf) }
func (g *Gossip) LocalState(join bool) []byte {
	buf, _ := json.Marshal(g.local())
	return buf
}

// memberlist.EventDelegate.

func (g *Gossip) NotifyJoin(n *memberlist.Node) {
	g.mu.Lock()
	g.alive[n.Name] = true
	g.mu.Unlock()
}

func (g *Gossip) NotifyLeave(n *memberlist.Node) {
	g.mu.Lock()
	g.alive[n.Name] = false
	g.mu.Unlock()
}

func (g *Gossip) NotifyUpdate(n *memberlist.Node) {}
