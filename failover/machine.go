package failover

import (
	"fmt"
	"github.com/qsentinel/qsentinel/event"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is what a master's machine is told of the master's settings
// (the rest of an operator's master configuration, auth and scripts,
// belongs to the driver).
type Config struct {
	Quorum          int
	DownAfter       time.Duration // 0: Timing.DefaultDownAfter
	FailoverTimeout time.Duration // 0: Timing.DefaultFailoverTimeout
	ParallelSyncs   int           // 0: 1
	RebootDownAfter time.Duration // master-reboot-down-after-period; 0 = off
	// FenceReplicas is fence-min-replicas: the sentinels keep the
	// master's min-replicas-to-write at this while that many replicas
	// are attached, and lift it on a promoted replica (fence.go). 0: off.
	FenceReplicas int
	// FenceMaxLag is fence-max-lag, the min-replicas-max-lag set with
	// it, in seconds; 0: DefaultFenceMaxLag.
	FenceMaxLag int
	// Maintenance holds automatic failovers of the master (hold.go).
	Maintenance bool
	// BlockPeriod holds automatic failovers for this long after each
	// failover of the master; 0: off (hold.go).
	BlockPeriod time.Duration
	// PreFailover: a failover we lead first asks the driver for the
	// pre-failover check (a PreFailover action, PreFailoverDone).
	PreFailover bool
	// OpenWhenIsolated turns fail-closed discovery off (isolation.go):
	// cut off from the group we keep naming the master, as redis-sentinel
	// does, and drop nobody.
	OpenWhenIsolated bool
}

// Env is what the machines of one sentinel share: its identity, its
// current epoch, how it compares host names, its source of randomness.
type Env struct {
	MyID   string
	Epochs *Epochs
	// SameHost reports whether two hosts (IPs or names) are one
	// (redis's sentinelAddrEqualsHostname); nil: equal strings.
	SameHost func(a, b string) bool
	// Jitter returns a random duration in [0, max); nil: always 0. The
	// simulator gives a seeded one.
	Jitter func(max time.Duration) time.Duration

	// actions holds the arrays Release handed back, for any machine's
	// next decisions: shared, so that an idle master keeps none (an
	// array each would cost 0.3-1 KB a master), and emptied by the GC.
	actions sync.Pool
}

// Machine is redis-sentinel's view of one monitored master, and every
// decision about it: subjective and objective down, the election, each
// failover state, promotion detection, replica reconfiguration, and
// configurations learned from peers. It is pure: its methods take the time
// and a fact, change the machine, and append what the driver must do to
// a list read with Ready. No network, no goroutines, no processes. A
// machine is not safe for concurrent use; the driver serializes calls.
type Machine struct {
	Name      string
	Config    Config
	Master    *Node
	Replicas  map[string]*Node // by "ip:port"; nil until the first (putReplica)
	Sentinels map[string]*Node // by run id

	ConfigEpoch uint64
	Leader      string // our vote for this master, in LeaderEpoch
	LeaderEpoch uint64

	// The machine's instants are Stamps of its master's node (At, Stamp),
	// which lives as long as the machine: 8 bytes each, not 24.
	State              State
	FailoverEpoch      uint64
	FailoverStartTime  Stamp
	FailoverStateSince Stamp
	UserFailoverAt     Stamp // last SENTINEL FAILOVER that started one (userFailoverSettle)
	ReelectAt          Stamp // not before this may a stuck election start a new round
	LastSwitch         Stamp // the last +switch-master, for the block period (hold.go)
	Coordinated        bool  // planned switchover through FAILOVER TO
	// Isolated: a majority of the group is subjectively down to us, after
	// we had reached it; we do not name the master to clients
	// (isolation.go).
	Isolated bool

	reachedGroup bool // a majority of the group was reachable once

	heldShown string // the reason +failover-held was published for,
	heldODown Stamp  // in the ODOWN that began then
	preCheck  int    // the pre-failover check of this attempt (hold.go)

	heardUpTo Stamp // HeardUpTo's; zero: replies are read as they come

	env *Env
	out []Action // decided actions, not yet read with Ready
	// The cached instance order (order.go).
	order, replicaOrder, peerOrder []*Node
}

// Persisted is what survives a restart of one master's machine.
type Persisted struct {
	Addr           Addr
	ConfigEpoch    uint64
	LeaderEpoch    uint64
	KnownReplicas  []Addr
	KnownSentinels []KnownPeer
}

// KnownPeer is a peer remembered across restarts.
type KnownPeer struct {
	Addr  Addr
	RunID string
}

// At is the machine's instant s as a time (its master node's, Node.At).
func (m *Machine) At(s Stamp) time.Time { return m.Master.At(s) }

// Stamp is t as one of the machine's instants (Node.Stamp).
func (m *Machine) Stamp(t time.Time) Stamp { return m.Master.Stamp(t) }

// New makes the machine of master name from its persisted state.
func New(name string, cfg Config, p Persisted, env *Env, now time.Time) *Machine {
	m := &Machine{
		Name:        name,
		Config:      cfg,
		Sentinels:   map[string]*Node{},
		ConfigEpoch: p.ConfigEpoch,
		LeaderEpoch: p.LeaderEpoch,
		env:         env,
	}
	m.Master = NewNode(KindMaster, name, p.Addr, now)
	for _, a := range p.KnownReplicas {
		if a == p.Addr {
			continue
		}
		m.putReplica(NewNode(KindReplica, a.String(), a, now))
	}
	for _, k := range p.KnownSentinels {
		if k.RunID == env.MyID {
			continue
		}
		si := NewNode(KindSentinel, k.RunID, k.Addr, now)
		si.RunID = k.RunID
		m.Sentinels[k.RunID] = si
	}
	return m
}

// Ready returns the actions decided since the last call, in order, and
// forgets them: the slice is the caller's, and a driver may feed the
// machine new facts while it carries out the actions. The list is not
// kept for reuse: actions come in bursts (discovery, a failover) and a
// machine that kept its largest burst held kilobytes per master (416
// bytes an action) for good; a tick that decides nothing allocates
// nothing either way.
func (m *Machine) Ready() []Action {
	out := m.out
	m.out = nil
	return out
}

// Release hands back a slice Ready returned, once its actions are carried
// out, so that the next decisions reuse its array (an Action is about 300
// bytes; at 1,000 masters failing over the arrays were an eighth of all a
// sentinel allocated). Optional; the slice must not be used after.
func (m *Machine) Release(out []Action) {
	if cap(out) == 0 || cap(out) > maxFreeActions {
		return
	}
	clear(out) // drop the nodes and events they point to
	out = out[:0]
	m.env.actions.Put(&out)
}

// maxFreeActions bounds the array Release keeps: a burst's is let go.
const maxFreeActions = 16

// HasReady reports whether actions are waiting.
func (m *Machine) HasReady() bool { return len(m.out) > 0 }

func (m *Machine) do(a Action) {
	if m.out == nil {
		if p, ok := m.env.actions.Get().(*[]Action); ok {
			m.out = *p
		}
	}
	m.out = append(m.out, a)
}

// newEvent is an event of this master about node n (nil: about none).
func (m *Machine) newEvent(level event.Level, kind event.Kind, n *Node) event.Event {
	e := event.Event{Level: level, Kind: kind, Master: m.Name}
	if n != nil {
		e.Instance = event.Instance{Role: event.Role(n.Kind.String()), Name: n.Name, Addr: event.Addr(n.Addr)}
		if n.Kind != KindMaster {
			e.Instance.MasterName, e.Instance.MasterAddr = m.Name, event.Addr(m.Master.Addr)
		}
	}
	return e
}

// emit decides an event about node n (nil: none) with text after the
// details.
func (m *Machine) emit(level event.Level, kind event.Kind, n *Node, text string) {
	e := m.newEvent(level, kind, n)
	e.Text = text
	m.do(Action{Kind: Emit, Event: e, Node: n})
}

func (m *Machine) emitf(level event.Level, kind event.Kind, n *Node, format string, args ...any) {
	m.emit(level, kind, n, fmt.Sprintf(format, args...))
}

// emitNewEpoch decides +new-epoch.
func (m *Machine) emitNewEpoch(epoch uint64) {
	e := m.newEvent(event.LevelWarning, event.NewEpoch, nil)
	e.Epoch = epoch
	m.do(Action{Kind: Emit, Event: e})
}

// emitVote decides +vote-for-leader: our vote for leader in epoch.
func (m *Machine) emitVote(leader string, epoch uint64) {
	e := m.newEvent(event.LevelWarning, event.VoteForLeader, nil)
	e.Leader, e.Epoch = leader, epoch
	m.do(Action{Kind: Emit, Event: e})
}

// emitODown decides +odown with votes of the quorum agreeing.
func (m *Machine) emitODown(votes int) {
	e := m.newEvent(event.LevelWarning, event.ODown, m.Master)
	e.Votes, e.Quorum = votes, m.Config.Quorum
	m.do(Action{Kind: Emit, Event: e})
}

// emitSwitch decides +switch-master from one address to another.
func (m *Machine) emitSwitch(from, to Addr) {
	e := m.newEvent(event.LevelWarning, event.SwitchMaster, nil)
	e.From, e.To = event.Addr(from), event.Addr(to)
	m.do(Action{Kind: Emit, Event: e})
}

func (m *Machine) persist() { m.do(Action{Kind: Persist}) }

// DownAfter is the master's down-after period.
func (m *Machine) DownAfter(t Timing) time.Duration {
	if m.Config.DownAfter > 0 {
		return m.Config.DownAfter
	}
	return t.DefaultDownAfter
}

// FailoverTimeout is the master's failover timeout.
func (m *Machine) FailoverTimeout(t Timing) time.Duration {
	if m.Config.FailoverTimeout > 0 {
		return m.Config.FailoverTimeout
	}
	return t.DefaultFailoverTimeout
}

// ParallelSyncs is how many replicas are reconfigured at once.
func (m *Machine) ParallelSyncs() int {
	if m.Config.ParallelSyncs > 0 {
		return m.Config.ParallelSyncs
	}
	return 1
}

func (m *Machine) sameHost(a, b string) bool {
	if m.env.SameHost != nil {
		return m.env.SameHost(a, b)
	}
	return a == b
}

func (m *Machine) jitter(max time.Duration) time.Duration {
	if m.env.Jitter != nil {
		return m.env.Jitter(max)
	}
	return 0
}

// InProgress reports whether a failover of this master is under way.
func (m *Machine) InProgress() bool { return m.Master.Flags&FlagFailoverInProgress != 0 }

// AppendSorted appends nodes to out in name order.
func AppendSorted(out []*Node, nodes map[string]*Node) []*Node {
	start := len(out)
	for _, n := range nodes {
		out = append(out, n)
	}
	slices.SortFunc(out[start:], func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Promoted is the replica chosen for promotion, nil when none.
func (m *Machine) Promoted() *Node {
	for _, r := range m.Replicas {
		if r.Flags&FlagPromoted != 0 {
			return r
		}
	}
	return nil
}

// CurrentMasterAddr is sentinelGetCurrentMasterAddress: once the promoted
// replica acknowledged, we advertise it even before the switch is final.
func (m *Machine) CurrentMasterAddr() Addr {
	if m.InProgress() && m.State >= StateReconfSlaves {
		if p := m.Promoted(); p != nil {
			return p.Addr
		}
	}
	return m.Master.Addr
}

// MasterLooksSane is sentinelMasterLooksSane.
func (m *Machine) MasterLooksSane(now time.Time, t Timing) bool {
	n := m.Master
	return n.RoleReported == KindMaster && n.Flags&(FlagSDown|FlagODown) == 0 &&
		!n.InfoRefresh.IsZero() && now.Sub(n.At(n.InfoRefresh)) < 2*t.InfoPeriod
}

// noDownFor is sentinelRedisInstanceNoDownFor.
func noDownFor(n *Node, now time.Time, d time.Duration) bool {
	recent := n.At(n.SDownSince)
	if o := n.At(n.ODownSince); o.After(recent) {
		recent = o
	}
	return recent.IsZero() || now.Sub(recent) > d
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

// Persisted is what the master's machine saves for a restart, as
// redis-sentinel's config rewrite keeps it: the current master address
// (the promoted replica once it acknowledged, sentinelGetCurrentMasterAddress,
// so that the config epoch it already took is never saved beside the old
// address), its epochs, the replicas known (the promoted one listed under
// the old master's address), and the peers that have a run id.
func (m *Machine) Persisted() Persisted {
	p := Persisted{Addr: m.CurrentMasterAddr(), ConfigEpoch: m.ConfigEpoch, LeaderEpoch: m.LeaderEpoch}
	for _, r := range m.SortedReplicas() {
		a := r.Addr
		if a == p.Addr {
			a = m.Master.Addr
		}
		if a != p.Addr {
			p.KnownReplicas = append(p.KnownReplicas, a)
		}
	}
	for _, si := range m.SortedPeers() {
		if si.RunID != "" {
			p.KnownSentinels = append(p.KnownSentinels, KnownPeer{Addr: si.Addr, RunID: si.RunID})
		}
	}
	return p
}
