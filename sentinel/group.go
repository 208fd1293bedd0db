package sentinel

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// FailoverState is redis-sentinel's failover state machine position.
type FailoverState int

// Failover states, in redis-sentinel's order.
const (
	FailoverNone FailoverState = iota
	FailoverWaitStart
	FailoverSelectSlave
	FailoverSendSlaveofNoOne
	FailoverWaitPromotion
	FailoverReconfSlaves
	FailoverUpdateConfig
)

func (s FailoverState) String() string {
	switch s {
	case FailoverNone:
		return "none"
	case FailoverWaitStart:
		return "wait_start"
	case FailoverSelectSlave:
		return "select_slave"
	case FailoverSendSlaveofNoOne:
		return "send_slaveof_noone"
	case FailoverWaitPromotion:
		return "wait_promotion"
	case FailoverReconfSlaves:
		return "reconf_slaves"
	case FailoverUpdateConfig:
		return "update_config"
	}
	return "unknown"
}

// group is one monitored master with its replicas and the peers that watch
// it. One goroutine runs its timers; link goroutines only report results,
// which are applied under mu. Groups never lock each other, so a hung Redis
// stalls nothing but its own links.
type group struct {
	s    *Sentinel
	name string

	mu        sync.Mutex
	cfg       MasterConfig
	master    *instance
	replicas  map[string]*instance // by "ip:port"
	sentinels map[string]*instance // by run id

	configEpoch uint64
	leader      string
	leaderEpoch uint64

	failoverState      FailoverState
	failoverEpoch      uint64
	failoverStartTime  time.Time
	failoverStateSince time.Time
	coordinated        bool      // planned switchover through FAILOVER TO
	userFailoverAt     time.Time // last SENTINEL FAILOVER that started one (userFailoverSettle)
	reelectAt          time.Time // not before this may a stuck election start a new round

	// Scratch slices reused under mu: tick and askPeers run ten times a
	// second for every master.
	tickBuf []*instance
	batch   *redislink.WriteBatch // set while the group ticks (under mu): sends are buffered into it
	peerBuf []*instance

	ctx    context.Context // the group's run context, for work started under mu
	cancel context.CancelFunc
}

func newGroup(s *Sentinel, st MasterState, now time.Time) *group {
	g := &group{
		s:           s,
		name:        st.Name,
		cfg:         st.MasterConfig,
		replicas:    map[string]*instance{},
		sentinels:   map[string]*instance{},
		configEpoch: st.ConfigEpoch,
		leaderEpoch: st.LeaderEpoch,
	}
	g.master = newInstance(KindMaster, st.Name, st.Addr, now)
	for _, a := range st.KnownReplicas {
		if a == st.Addr {
			continue
		}
		g.replicas[a.String()] = newInstance(KindReplica, a.String(), a, now)
	}
	for _, k := range st.KnownSentinels {
		if k.RunID == s.myID {
			continue
		}
		si := newInstance(KindSentinel, k.RunID, k.Addr, now)
		si.runID = k.RunID
		g.sentinels[k.RunID] = si
	}
	return g
}

func (g *group) downAfter() time.Duration {
	if g.cfg.DownAfter > 0 {
		return g.cfg.DownAfter
	}
	return g.s.timing().DefaultDownAfter
}

func (g *group) failoverTimeout() time.Duration {
	if g.cfg.FailoverTimeout > 0 {
		return g.cfg.FailoverTimeout
	}
	return g.s.timing().DefaultFailoverTimeout
}

func (g *group) parallelSyncs() int {
	if g.cfg.ParallelSyncs > 0 {
		return g.cfg.ParallelSyncs
	}
	return 1
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
	g.closeLink(g.master)
	for _, r := range g.replicas {
		g.closeLink(r)
	}
	for _, si := range g.sentinels {
		g.closeLink(si)
	}
	g.mu.Unlock()
}

// tick is sentinelHandleRedisInstance for the group. Commands it sends go
// into batch, flushed by the caller after every group has ticked.
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
	// Allocating this list every tick was most of our idle garbage, and
	// sorting it a tenth of our idle CPU: the tick needs no order.
	g.tickBuf = append(g.tickBuf[:0], g.master)
	for _, i := range g.replicas {
		g.tickBuf = append(g.tickBuf, i)
	}
	for _, i := range g.sentinels {
		g.tickBuf = append(g.tickBuf, i)
	}
	all := g.tickBuf
	for _, i := range all {
		g.ensureLink(ctx, i)
		g.sendPeriodic(ctx, i, now, t)
	}
	if tilt {
		return
	}
	wasDown := g.master.flags&flagSDown != 0
	for _, i := range all {
		g.checkSDown(i, now, t)
	}
	// sentinelHandleRedisInstance for the master: agreement and failover.
	// The moment the master goes down we ask peers at once instead of at
	// the next ask period.
	g.checkODown(now, t)
	forced := !wasDown && g.master.flags&flagSDown != 0
	if g.startFailoverIfNeeded(now) {
		forced = true
	}
	g.failoverStep(ctx, now, t)
	g.askPeers(ctx, now, t, forced)
}

// instancesLocked lists master, replicas and sentinels in a stable order.
func (g *group) instancesLocked() []*instance {
	return g.appendInstances(make([]*instance, 0, 1+len(g.replicas)+len(g.sentinels)))
}

func (g *group) appendInstances(out []*instance) []*instance {
	out = append(out, g.master)
	out = appendSorted(out, g.replicas)
	return appendSorted(out, g.sentinels)
}

func sortedInstances(m map[string]*instance) []*instance {
	return appendSorted(make([]*instance, 0, len(m)), m)
}

// appendSorted appends m's instances to out in name order.
func appendSorted(out []*instance, m map[string]*instance) []*instance {
	start := len(out)
	for _, i := range m {
		out = append(out, i)
	}
	slices.SortFunc(out[start:], func(a, b *instance) int { return strings.Compare(a.name, b.name) })
	return out
}

// clientReconfig is sentinelCallClientReconfScript.
func (g *group) clientReconfig(role, state string, from, to Addr) {
	if g.cfg.ClientReconfigScript == "" {
		return
	}
	g.s.scripts.Schedule(g.cfg.ClientReconfigScript, g.name, role, state,
		g.s.shownHost(from.Host), strconv.Itoa(from.Port), g.s.shownHost(to.Host), strconv.Itoa(to.Port))
}

// checkSDown is sentinelCheckSubjectivelyDown.
func (g *group) checkSDown(i *instance, now time.Time, t Timing) {
	// redis-sentinel measures from the oldest unanswered PING, so a
	// master that dies just after a reply is noticed up to a ping period
	// late. We measure from the last valid reply instead, and ping often
	// enough (pingPeriod) that a healthy instance never gets near the limit.
	var elapsed time.Duration
	if !i.actPing.IsZero() || i.disconnect {
		elapsed = now.Sub(i.lastAvail)
	}
	downAfter := g.downAfter()
	down := elapsed > downAfter ||
		(i.kind == KindMaster && i.roleReported == KindReplica &&
			now.Sub(i.roleReportedTime) > downAfter+2*t.InfoPeriod) ||
		(i.flags&flagMasterReboot != 0 && now.Sub(i.masterRebootFrom) > g.cfg.RebootDownAfter)
	if down {
		if i.flags&flagSDown == 0 {
			i.flags |= flagSDown
			i.sDownSince = now
			g.emit(LevelWarning, "+sdown", i, "")
			if i.kind == KindMaster {
				g.s.kickGossip()
				// A failover may follow within milliseconds: have the
				// replicas' state fresh for the selection.
				g.refreshReplicaInfo(g.ctx)
			}
		}
	} else if i.flags&flagSDown != 0 {
		i.flags &^= flagSDown | flagScriptKillSent
		g.emit(LevelWarning, "-sdown", i, "")
		if i.kind == KindMaster {
			g.s.kickGossip()
		}
	}
}

// currentMasterAddr is sentinelGetCurrentMasterAddress: once the promoted
// replica acknowledged, we advertise it even before the switch is final.
func (g *group) currentMasterAddr() Addr {
	if g.master.flags&flagFailoverInProgress != 0 && g.failoverState >= FailoverReconfSlaves {
		for _, r := range g.replicas {
			if r.flags&flagPromoted != 0 {
				return r.addr
			}
		}
	}
	return g.master.addr
}

// noDownFor is sentinelRedisInstanceNoDownFor.
func noDownFor(i *instance, now time.Time, d time.Duration) bool {
	recent := i.sDownSince
	if i.oDownSince.After(recent) {
		recent = i.oDownSince
	}
	return recent.IsZero() || now.Sub(recent) > d
}

// masterLooksSane is sentinelMasterLooksSane.
func (g *group) masterLooksSane(now time.Time, t Timing) bool {
	m := g.master
	return m.roleReported == KindMaster && m.flags&(flagSDown|flagODown) == 0 &&
		!m.infoRefresh.IsZero() && now.Sub(m.infoRefresh) < 2*t.InfoPeriod
}

// reset is sentinelResetMaster: forget replicas (and peers unless
// keepSentinels), reconnect, allow an immediate new failover.
func (g *group) reset(keepSentinels bool, event bool, now time.Time) {
	for k, r := range g.replicas {
		g.closeLink(r)
		delete(g.replicas, k)
	}
	if !keepSentinels {
		for k, si := range g.sentinels {
			g.closeLink(si)
			delete(g.sentinels, k)
		}
	}
	m := g.master
	g.closeLink(m)
	m.flags = 0
	g.leader = ""
	g.coordinated = false
	g.failoverState = FailoverNone
	g.failoverStateSince = time.Time{}
	g.failoverStartTime = time.Time{}
	m.runID = ""
	m.masterHost = ""
	m.actPing = now
	m.lastPing = time.Time{}
	m.lastAvail = now
	m.lastPong = now
	m.roleReportedTime = now
	m.roleReported = KindMaster
	if event {
		g.emit(LevelWarning, "+reset-master", m, "")
	}
}

// switchMaster is sentinelResetMasterAndChangeAddress: the master moves to
// addr, the old master and every other replica become its replicas.
func (g *group) switchMaster(addr Addr, now time.Time) {
	var keep []Addr
	for _, r := range sortedInstances(g.replicas) {
		if r.addr != addr {
			keep = append(keep, r.addr)
		}
	}
	if addr != g.master.addr {
		keep = append(keep, g.master.addr)
	}
	g.reset(true, false, now)
	g.master.addr = addr
	g.master.oDownSince = time.Time{}
	g.master.sDownSince = time.Time{}
	for _, a := range keep {
		if _, ok := g.replicas[a.String()]; ok {
			continue
		}
		r := newInstance(KindReplica, a.String(), a, now)
		g.replicas[a.String()] = r
		g.emit(LevelNotice, "+slave", r, "")
	}
	g.s.markDirty()
}
