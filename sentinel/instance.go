package sentinel

import (
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// flag is redis-sentinel's SRI_* bit set, minus the kind bits (see Kind).
type flag uint32

const (
	flagSDown flag = 1 << iota
	flagODown
	flagMasterDown
	flagFailoverInProgress
	flagPromoted
	flagReconfSent
	flagReconfInprog
	flagReconfDone
	flagForceFailover
	flagScriptKillSent
	flagMasterReboot
	flagCoordFailover // SENTINEL FAILOVER ... COORDINATED in progress (Valkey 9)
)

// instance is one master, replica or peer sentinel as seen by one master's
// group. Every field is guarded by the owning group's mutex.
type instance struct {
	kind  Kind
	name  string
	addr  Addr
	runID string
	flags flag

	conn        redislink.Conn
	connKey     string // set when conn is shared between groups (peers)
	stopSub     func() // stops the pub/sub link
	subUp       bool   // the pub/sub link is connected (masters and replicas)
	subGen      uint64 // which pub/sub link subUp is about
	disconnect  bool   // no reply since the last transport failure
	pending     int    // commands in flight
	connectedAt time.Time

	actPing     time.Time // oldest ping without a valid reply; zero when answered
	lastPing    time.Time
	lastAvail   time.Time // last valid ping reply (PONG, LOADING, MASTERDOWN)
	lastPong    time.Time // last ping reply of any kind
	pingBusy    bool
	infoBusy    bool
	pubBusy     bool
	askBusy     bool      // is-master-down-by-addr in flight (peers)
	askSent     time.Time // when it was last sent
	lastPub     time.Time
	lastHello   time.Time
	lastDownRep time.Time // last is-master-down-by-addr reply (peers)

	sDownSince       time.Time
	oDownSince       time.Time
	masterRebootFrom time.Time

	infoRefresh      time.Time
	failoverReported string // master_failover_state from INFO ("" when absent)
	info             string
	roleReported     Kind
	roleReportedTime time.Time
	slaveConfChange  time.Time

	// Replica fields, from its INFO.
	masterLinkDownTime time.Duration
	slavePriority      int
	masterHost         string
	masterPort         int
	masterLinkUp       bool
	replOffset         uint64
	masterReplOffset   uint64 // a master's own offset, for replica lag
	replicaAnnounced   int
	reconfSentTime     time.Time

	// Sentinel fields: whom this peer voted for.
	leader      string
	leaderEpoch uint64
}

func newInstance(kind Kind, name string, addr Addr, now time.Time) *instance {
	role := kind
	if kind == KindSentinel {
		role = KindMaster
	}
	// Like createInstanceLink: the instance counts as pinged-but-unanswered
	// from its creation, so one that never answers goes SDOWN after
	// down-after-milliseconds.
	return &instance{
		kind:             kind,
		name:             name,
		addr:             addr,
		disconnect:       true,
		actPing:          now,
		lastAvail:        now,
		lastPong:         now,
		lastPub:          now,
		lastHello:        now,
		lastDownRep:      now,
		roleReported:     role,
		roleReportedTime: now,
		slaveConfChange:  now,
		slavePriority:    100,
		replicaAnnounced: 1,
	}
}

// linkDown is redis-sentinel's link->disconnected, the "disconnected"
// flag: a link is down when either of its connections is, the pub/sub one
// included for masters and replicas (a pub/sub link whose SUBSCRIBE is
// refused, after a password change, keeps the instance "disconnected"
// although PINGs get replies), and a connection is up from the moment it
// is being opened. i.disconnect (no reply since the last transport
// failure) decides whether commands are sent.
func (i *instance) linkDown() bool {
	cmdDown := i.conn == nil || i.disconnect
	if lc, ok := i.conn.(redislink.LinkState); ok {
		cmdDown = !lc.Connected()
	}
	return cmdDown || (i.kind != KindSentinel && !i.subUp)
}

func (i *instance) flagString() string {
	var b strings.Builder
	add := func(on bool, s string) {
		if on {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(s)
		}
	}
	add(i.flags&flagSDown != 0, "s_down")
	add(i.flags&flagODown != 0, "o_down")
	add(i.kind == KindMaster, "master")
	add(i.kind == KindReplica, "slave")
	add(i.kind == KindSentinel, "sentinel")
	add(i.linkDown(), "disconnected")
	add(i.flags&flagMasterDown != 0, "master_down")
	add(i.flags&flagFailoverInProgress != 0, "failover_in_progress")
	add(i.flags&flagPromoted != 0, "promoted")
	add(i.flags&flagReconfSent != 0, "reconf_sent")
	add(i.flags&flagReconfInprog != 0, "reconf_inprog")
	add(i.flags&flagReconfDone != 0, "reconf_done")
	add(i.flags&flagForceFailover != 0, "force_failover")
	add(i.flags&flagCoordFailover != 0, "coordinated_failover") // Valkey 9's flag
	add(i.flags&flagScriptKillSent != 0, "script_kill_sent")
	return b.String()
}

func msSince(now, t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(now.Sub(t).Milliseconds(), 10)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// view renders the instance the way addReplySentinelRedisInstance does. g is
// the owning group (for master-only fields); its lock is held by the caller.
func (i *instance) view(g *group, now time.Time) InstanceView {
	f := make([]Field, 0, 24)
	add := func(k, v string) { f = append(f, Field{k, v}) }
	flags := i.flagString()
	add("name", i.name)
	add("ip", g.s.shownHost(i.addr.Host))
	add("port", itoa(int64(i.addr.Port)))
	add("runid", i.runID)
	add("flags", flags)
	add("link-pending-commands", itoa(int64(i.pending)))
	refs := 1
	if i.connKey != "" {
		refs = g.s.peerRefs(i.connKey)
	}
	add("link-refcount", itoa(int64(refs)))
	if i.kind == KindMaster && i.flags&flagFailoverInProgress != 0 {
		add("failover-state", g.failoverState.String())
	}
	add("last-ping-sent", msSince(now, i.actPing))
	add("last-ok-ping-reply", msSince(now, i.lastAvail))
	add("last-ping-reply", msSince(now, i.lastPong))
	if i.flags&flagSDown != 0 {
		add("s-down-time", msSince(now, i.sDownSince))
	}
	if i.flags&flagODown != 0 {
		add("o-down-time", msSince(now, i.oDownSince))
	}
	t := g.s.timing()
	masterOptions := func(place ViewPlace) {
		for _, o := range MasterOptions {
			if v, ok := o.Show(&g.cfg, t); ok && o.View == place {
				add(o.Name, v)
			}
		}
	}
	masterOptions(ViewEvery)
	if i.kind != KindSentinel {
		add("info-refresh", msSince(now, i.infoRefresh))
		role := "slave"
		if i.roleReported == KindMaster {
			role = "master"
		}
		add("role-reported", role)
		add("role-reported-time", msSince(now, i.roleReportedTime))
	}
	switch i.kind {
	case KindMaster:
		add("config-epoch", strconv.FormatUint(g.configEpoch, 10))
		add("num-slaves", itoa(int64(len(g.replicas))))
		add("num-other-sentinels", itoa(int64(len(g.sentinels))))
		masterOptions(ViewMaster)
	case KindReplica:
		add("master-link-down-time", itoa(i.masterLinkDownTime.Milliseconds()))
		status := "err"
		if i.masterLinkUp {
			status = "ok"
		}
		add("master-link-status", status)
		host := i.masterHost
		if host == "" {
			host = "?"
		}
		add("master-host", host)
		add("master-port", itoa(int64(i.masterPort)))
		add("slave-priority", itoa(int64(i.slavePriority)))
		add("slave-repl-offset", strconv.FormatUint(i.replOffset, 10))
		add("replica-announced", itoa(int64(i.replicaAnnounced)))
	case KindSentinel:
		add("last-hello-message", msSince(now, i.lastHello))
		leader := i.leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		add("voted-leader-epoch", strconv.FormatUint(i.leaderEpoch, 10))
	}
	return InstanceView{Name: i.name, Addr: i.addr, RunID: i.runID, Flags: flags, Fields: f}
}
