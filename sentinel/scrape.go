package sentinel

import (
	"time"

	"github.com/qsentinel/qsentinel/failover"
)

// MetricsState is what a metrics scrape reads, as numbers and flags: the
// same facts INFO, SENTINEL MASTERS, REPLICAS, SENTINELS, CKQUORUM and the
// agreement give, without the ~40 formatted strings per instance those
// views are made of. At 1,000 masters a scrape built every view twice and
// parsed numbers back out of them: more work than the idle sentinel's own.
type MetricsState struct {
	Tilt                bool
	RunningScripts      int
	ScriptsQueueLength  int
	SimulateFailureFlag int
	Masters             []MasterMetrics // sorted by name
}

// MasterMetrics is one master, read under its group's lock in one pass,
// so its numbers agree with each other.
type MasterMetrics struct {
	Name string
	// Addr is the master instance's address, as InstanceView.Addr (the
	// host as configured, not as reported).
	Addr Addr
	// InfoAddr is INFO's masterN address: the current master (the
	// promoted replica once reconfiguring), its host as reported.
	InfoAddr Addr
	Status   string // INFO's: ok, sdown or odown
	// Replicas and Sentinels count as INFO does: every replica known,
	// the peers plus this sentinel.
	Replicas, Sentinels int
	// OKReplicas: the replicas SENTINEL REPLICAS lists that are neither
	// s_down nor o_down.
	OKReplicas int
	// OKSentinels: this sentinel plus the peers neither s_down nor
	// o_down, CKQUORUM's usable sentinels.
	OKSentinels int

	ConfigEpoch     uint64
	Quorum          int
	ParallelSyncs   int           // the effective value, as SENTINEL MASTER shows it
	FailoverTimeout time.Duration // the effective value, as SENTINEL MASTER shows it
	DownAfter       time.Duration // the effective value, as SENTINEL MASTER shows it
	// LastOKPing is last-ok-ping-reply: since the last valid ping reply,
	// in whole milliseconds as the view shows it; 0 when none.
	LastOKPing time.Duration

	SDown, ODown, Maintenance bool

	// CKQuorum and CKQuorumOK are SENTINEL CKQUORUM's reply text and
	// whether it is not an error.
	CKQuorum   string
	CKQuorumOK bool
	Agreement  failover.Agreement

	// Instances are the master, the replicas SENTINEL REPLICAS lists and
	// the peers, in the views' order.
	Instances []InstanceMetrics
}

// InstanceMetrics is one instance of a master's group.
type InstanceMetrics struct {
	Kind Kind
	Addr Addr // as InstanceView.Addr
	// Up: neither s_down, o_down nor disconnected (the view's flags).
	Up bool
}

// MetricsState reads every master for a metrics scrape. Locks as Masters
// and Info take them: s.mu only to get the group list (released before
// any group lock), then each group's lock once, under which only the leaf
// locks the views take too (cfgMu, hostsMu) are taken.
func (s *Sentinel) MetricsState() MetricsState {
	st := MetricsState{}
	info := s.infoGlobals()
	st.Tilt, st.RunningScripts, st.ScriptsQueueLength, st.SimulateFailureFlag =
		info.Tilt, info.RunningScripts, info.ScriptsQueueLength, info.SimulateFailureFlag
	now := s.clock.Now()
	t := s.timing()
	gs := s.groupList()
	st.Masters = make([]MasterMetrics, len(gs))
	// One array for every group's instances: a slice each would be an
	// allocation per master.
	var all []InstanceMetrics
	ends := make([]int, len(gs))
	for k, g := range gs {
		g.mu.Lock()
		st.Masters[k] = g.metrics(now, t)
		all = g.appendInstanceMetrics(all)
		g.mu.Unlock()
		ends[k] = len(all)
	}
	start := 0
	for k := range st.Masters {
		st.Masters[k].Instances = all[start:ends[k]:ends[k]]
		start = ends[k]
	}
	return st
}

// metrics is the group's master for MetricsState; the caller holds g.mu.
func (g *group) metrics(now time.Time, t Timing) MasterMetrics {
	m := g.master
	cfg := g.cfg.WithDefaults(t) // the effective settings, as the views show them
	mm := MasterMetrics{
		Name:            g.name,
		Addr:            m.Addr,
		InfoAddr:        g.s.shown(g.m.CurrentMasterAddr()),
		Status:          masterStatus(m.Flags),
		Replicas:        len(g.m.Replicas),
		Sentinels:       len(g.m.Sentinels) + 1,
		ConfigEpoch:     g.m.ConfigEpoch,
		Quorum:          cfg.Quorum,
		ParallelSyncs:   cfg.ParallelSyncs,
		FailoverTimeout: cfg.FailoverTimeout,
		DownAfter:       cfg.DownAfter,
		LastOKPing:      time.Duration(msSinceN(now, m.At(m.LastAvail))) * time.Millisecond,
		SDown:           m.Flags&failover.FlagSDown != 0,
		ODown:           m.Flags&failover.FlagODown != 0,
		Maintenance:     g.cfg.Maintenance,
		Agreement:       g.m.Agreement(now, t),
	}
	for _, r := range g.replicas() {
		if r.listed() && !down(r.Node) {
			mm.OKReplicas++
		}
	}
	usable, voters := g.ckquorumCounts()
	mm.OKSentinels = usable
	mm.CKQuorum, mm.CKQuorumOK = ckquorumReply(usable, voters, g.cfg.Quorum)
	return mm
}

// appendInstanceMetrics appends the instances Masters, Replicas and
// Sentinels list for the group; the caller holds g.mu.
func (g *group) appendInstanceMetrics(out []InstanceMetrics) []InstanceMetrics {
	// The kind is the list's, as the views' callers read it.
	add := func(i *instance, k Kind) {
		out = append(out, InstanceMetrics{Kind: k, Addr: i.Addr, Up: !down(i.Node) && !i.linkDown()})
	}
	add(g.master, KindMaster)
	for _, r := range g.replicas() {
		if r.listed() {
			add(r, KindReplica)
		}
	}
	for _, p := range g.peers() {
		add(p, KindSentinel)
	}
	return out
}
