package sentinel

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// group drives one monitored master: its failover.Machine decides, the
// group carries the decisions out over the master's, replicas' and peers'
// links and feeds the replies back. One ticker ticks every group; link
// goroutines only report results, which are applied under mu. Groups never
// lock each other, so a hung Redis stalls nothing but its own links.
type group struct {
	s    *Sentinel
	name string

	mu     sync.Mutex
	cfg    MasterConfig
	m      *failover.Machine
	master *instance // the master's node never changes, only its address

	batch *redislink.WriteBatch // set while the group ticks (under mu): sends are buffered into it

	// hello is the last hello made, as the arguments of its PUBLISH
	// (PUBLISH, the channel, the payload): the master, each replica and
	// each peer get the same one each publish period unless our address
	// or the configuration changed (helloArgs). One slice serves them
	// all, as links only read a command's arguments.
	hello []any

	// switchedAt is when the master last moved (+switch-master), for
	// SENTINEL REMOVE (removeMidFailover).
	switchedAt time.Time

	ctx    context.Context // the group's run context, for work started under mu
	cancel context.CancelFunc
}

func newGroup(s *Sentinel, st MasterState, now time.Time) *group {
	g := &group{s: s, name: st.Name, cfg: st.MasterConfig}
	g.m = failover.New(st.Name, machineConfig(st.MasterConfig), failover.Persisted{
		Addr:           st.Addr,
		ConfigEpoch:    st.ConfigEpoch,
		LeaderEpoch:    st.LeaderEpoch,
		KnownReplicas:  st.KnownReplicas,
		KnownSentinels: st.KnownSentinels,
	}, s.env, now)
	g.master = inst(g.m.Master)
	return g
}

// machineConfig is the part of a master's configuration its machine uses.
func machineConfig(c MasterConfig) failover.Config {
	return failover.Config{
		Quorum:           c.Quorum,
		DownAfter:        c.DownAfter,
		FailoverTimeout:  c.FailoverTimeout,
		ParallelSyncs:    c.ParallelSyncs,
		RebootDownAfter:  c.RebootDownAfter,
		FenceReplicas:    c.FenceReplicas,
		FenceMaxLag:      c.FenceMaxLag,
		Maintenance:      c.Maintenance,
		BlockPeriod:      c.BlockPeriod,
		PreFailover:      c.PreFailoverScript != "",
		OpenWhenIsolated: c.OpenWhenIsolated,
	}
}

// configChanged hands a changed configuration to the machine (under mu).
// A changed fence is decided from the master's INFO: ask for one now
// rather than an INFO period later.
func (g *group) configChanged() {
	old := g.m.Config
	g.m.Config = machineConfig(g.cfg)
	if old.FenceReplicas == g.m.Config.FenceReplicas && old.FenceMaxLag == g.m.Config.FenceMaxLag {
		return
	}
	if i := g.master; g.ctx != nil && !i.infoBusy && i.conn != nil && !i.Disconnected {
		g.sendInfo(g.ctx, i)
	}
}

func (g *group) downAfter() time.Duration       { return g.m.DownAfter(g.s.timing()) }
func (g *group) failoverTimeout() time.Duration { return g.m.FailoverTimeout(g.s.timing()) }

// replicas and peers list the group's instances in name order.
func (g *group) replicas() []*instance { return insts(g.m.SortedReplicas()) }
func (g *group) peers() []*instance    { return insts(g.m.SortedPeers()) }

func insts(nodes []*failover.Node) []*instance {
	out := make([]*instance, len(nodes))
	for k, n := range nodes {
		out[k] = inst(n)
	}
	return out
}

// start makes the group live: the sentinel's ticker ticks it from now on.
func (g *group) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	g.mu.Lock()
	g.ctx = ctx
	g.mu.Unlock()
	g.cancel = cancel
}

// stop ends the group's ticks and closes every link of the group. The
// ticker checks the context under the group lock, so no tick runs after
// stop returns.
func (g *group) stop() {
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.mu.Lock()
	for _, n := range g.m.Nodes() {
		g.closeLink(inst(n))
	}
	g.mu.Unlock()
}

// tick is sentinelHandleRedisInstance for the group: keep every link
// alive, then (unless in TILT) let the machine decide. Commands it sends
// go into batch, flushed by the caller after every group has ticked.
func (g *group) tick(batch *redislink.WriteBatch) {
	now := g.s.clock.Now()
	t := g.s.timing()
	tilt := g.s.updateTilt()
	g.mu.Lock()
	defer g.mu.Unlock()
	ctx := g.ctx
	if ctx == nil || ctx.Err() != nil {
		return
	}
	g.batch = batch
	defer func() { g.batch = nil }()
	for _, n := range g.m.Nodes() {
		i := inst(n)
		g.ensureLink(i)
		g.sendPeriodic(ctx, i, now, t)
	}
	if tilt {
		return
	}
	if g.s.caughtUp != nil {
		g.m.HeardUpTo(g.s.caughtUp())
	}
	g.m.Tick(now, t)
	g.apply()
}

// clientReconfig is sentinelCallClientReconfScript.
func (g *group) clientReconfig(role, state string, from, to Addr) {
	if g.cfg.ClientReconfigScript == "" {
		return
	}
	g.s.scripts.Schedule(g.cfg.ClientReconfigScript, g.name, role, state,
		g.s.shownHost(from.Host), strconv.Itoa(from.Port), g.s.shownHost(to.Host), strconv.Itoa(to.Port))
}
