package sentinel

import (
	"github.com/qsentinel/qsentinel/failover"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// instance is the driver's side of one master, replica or peer sentinel
// of a group: its links and what is in flight on them. The facts the
// failover decisions are made from are the embedded failover.Node (whose
// Link points back here). Every field is guarded by the owning group's
// mutex.
type instance struct {
	*failover.Node
	g *group // the group it belongs to, for replies (Reply)

	// The command link and its pub/sub twin: what describes the
	// connection in hand, reset as a whole when it closes (closeLink,
	// closeSub). A field kept there outlives its link: the redial flags
	// once made a newly promoted master wait behind the dead old one's
	// redials, and the count of commands in flight, whose replies on a
	// closed link are ignored, grew by one or two at every switch until
	// the instance was never pinged again.
	link
	sub subLink
	// subGen says which pub/sub link the events are about: it only ever
	// grows, so an event of a closed link changes nothing.
	subGen uint64

	// lastPub is when the last hello went out, as the node's Stamp (8
	// bytes, not a time.Time's 24): it paces hellos to the instance,
	// whichever link carried them.
	lastPub failover.Stamp
	// hello is a peer's last hello for this master, as processHello
	// parsed it: the next, most often the same, is not copied again.
	hello string
}

// link is the driver's state of an instance's command link: the
// connection and what is in flight on it. closeLink resets it whole.
type link struct {
	conn    redislink.Conn
	connKey string // set when conn is shared between groups (peers)
	// voteConn carries our vote requests to a peer (agreement.go), shared
	// between groups like conn; opened with the first one.
	voteConn redislink.Conn
	pending  int // commands in flight
	// When the command link last connected, as the node's Stamp.
	connectedAt failover.Stamp

	// The flags side by side: one word, not one each (an instance per
	// master, replica and peer, 15,000 at 5,000 masters).
	pingBusy bool
	// redialing: the last PING went out while the command link was down,
	// so it was a reconnect attempt, and no reply came since
	// (failover.Machine.ReconnectGap).
	redialing bool
	// refused: the command link's last failure was a refused connect,
	// nothing listening on the port (failover.RedialBudget).
	refused  bool
	infoBusy bool
	pubBusy  bool
	// helloAgain: a new configuration was announced while a hello was in
	// flight (with the old one); it goes out as soon as that one is
	// answered, not a publish period later.
	helloAgain bool
}

// answered counts n commands of the instance's link answered. A peer's
// link is shared between groups (acquirePeer): closed for one group and
// acquired again while others hold it, it is the same Conn, and replies
// to commands sent before the close come back as the new link's, which
// started with nothing in flight.
func (l *link) answered(n int) {
	l.pending = max(l.pending-n, 0)
}

// subLink is the driver's state of an instance's pub/sub link (masters
// and replicas). closeSub resets it whole.
type subLink struct {
	stop func() // stops the pub/sub link
	up   bool   // connected
	drop bool   // its last news was a failed dial or a drop
}

// inst is the driver's side of node n, made the first time it is needed:
// nodes are born in the machine (a replica in INFO, a peer's hello).
func inst(n *failover.Node) *instance {
	if i, ok := n.Link.(*instance); ok {
		return i
	}
	i := &instance{Node: n, lastPub: n.Stamp(n.Created)}
	n.Link = i
	return i
}

// linkDown is redis-sentinel's link->disconnected, the "disconnected"
// flag: a link is down when either of its connections is, the pub/sub one
// included for masters and replicas (a pub/sub link whose SUBSCRIBE is
// refused, after a password change, keeps the instance "disconnected"
// although PINGs get replies), and a connection is up from the moment it
// is being opened. i.Disconnected (no reply since the last transport
// failure) decides whether commands are sent.
func (i *instance) linkDown() bool {
	cmdDown := i.conn == nil || i.Disconnected
	if lc, ok := i.conn.(redislink.LinkState); ok {
		cmdDown = !lc.Connected()
	}
	return cmdDown || (i.Kind != KindSentinel && !i.sub.up)
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
	add(i.Flags&failover.FlagSDown != 0, "s_down")
	add(i.Flags&failover.FlagODown != 0, "o_down")
	add(i.Kind == KindMaster, "master")
	add(i.Kind == KindReplica, "slave")
	add(i.Kind == KindSentinel, "sentinel")
	add(i.linkDown(), "disconnected")
	add(i.Flags&failover.FlagMasterDown != 0, "master_down")
	add(i.Flags&failover.FlagFailoverInProgress != 0, "failover_in_progress")
	add(i.Flags&failover.FlagPromoted != 0, "promoted")
	add(i.Flags&failover.FlagReconfSent != 0, "reconf_sent")
	add(i.Flags&failover.FlagReconfInprog != 0, "reconf_inprog")
	add(i.Flags&failover.FlagReconfDone != 0, "reconf_done")
	add(i.Flags&failover.FlagForceFailover != 0, "force_failover")
	add(i.Flags&failover.FlagCoordFailover != 0, "coordinated_failover") // Valkey 9's flag
	add(i.Flags&failover.FlagScriptKillSent != 0, "script_kill_sent")
	return b.String()
}

// parkSub says whether i's pub/sub link is to be closed until the command
// link answers again: both links are down, the pub/sub one having failed
// (a failed dial or a drop, and so at every retry), or the instance being
// subjectively down while it is not up. The tick (sendPeriodic) and the
// link's retry (SubHandler.Retry in subscribe) ask it.
func (i *instance) parkSub() bool {
	return i.Disconnected && (i.sub.drop || i.Flags&failover.FlagSDown != 0 && !i.sub.up)
}

// listed says whether SENTINEL REPLICAS lists the replica i. Like redis
// 7.0 (addReplyDictOfRedisInstances): a replica with replica-announced no
// is monitored, counted in num-slaves and can be promoted, but is not
// listed.
func (i *instance) listed() bool { return i.ReplicaAnnounced != 0 }

// down: s_down or o_down here (either flag leaves a node out of the
// "ok" counts and of CKQUORUM's usable sentinels).
func down(n *failover.Node) bool {
	return n.Flags&(failover.FlagSDown|failover.FlagODown) != 0
}

func msSince(now, t time.Time) string { return strconv.FormatInt(msSinceN(now, t), 10) }

// msSinceN is the number msSince shows: whole milliseconds since t, 0 for
// never.
func msSinceN(now, t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return now.Sub(t).Milliseconds()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// view renders the instance the way addReplySentinelRedisInstance does. g is
// the owning group (for master-only fields); its lock is held by the caller.
func (i *instance) view(g *group, now time.Time) InstanceView {
	f := make([]Field, 0, 24)
	add := func(k, v string) { f = append(f, Field{k, v}) }
	flags := i.flagString()
	if i == g.master && g.cfg.Maintenance {
		// Ours (failover/hold.go), only while on: a 7.0 client sees an
		// unknown word in a comma list it splits anyway.
		flags += ",maintenance"
	}
	add("name", i.Name)
	add("ip", g.s.shownHost(i.Addr.Host))
	add("port", itoa(int64(i.Addr.Port)))
	add("runid", i.RunID)
	add("flags", flags)
	add("link-pending-commands", itoa(int64(i.pending)))
	refs := 1
	if i.connKey != "" {
		refs = g.s.peerRefs(i.connKey)
	}
	add("link-refcount", itoa(int64(refs)))
	if i.Kind == KindMaster && i.Flags&failover.FlagFailoverInProgress != 0 {
		add("failover-state", g.m.State.String())
	}
	add("last-ping-sent", msSince(now, i.At(i.ActPing)))
	add("last-ok-ping-reply", msSince(now, i.At(i.LastAvail)))
	add("last-ping-reply", msSince(now, i.At(i.LastPong)))
	if i.Flags&failover.FlagSDown != 0 {
		add("s-down-time", msSince(now, i.At(i.SDownSince)))
	}
	if i.Flags&failover.FlagODown != 0 {
		add("o-down-time", msSince(now, i.At(i.ODownSince)))
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
	if i.Kind != KindSentinel {
		add("info-refresh", msSince(now, i.At(i.InfoRefresh)))
		role := "slave"
		if i.RoleReported == KindMaster {
			role = "master"
		}
		add("role-reported", role)
		add("role-reported-time", msSince(now, i.At(i.RoleReportedTime)))
	}
	switch i.Kind {
	case KindMaster:
		add("config-epoch", strconv.FormatUint(g.m.ConfigEpoch, 10))
		add("num-slaves", itoa(int64(len(g.m.Replicas))))
		add("num-other-sentinels", itoa(int64(len(g.m.Sentinels))))
		masterOptions(ViewMaster)
	case KindReplica:
		add("master-link-down-time", itoa(i.MasterLinkDownTime.Milliseconds()))
		status := "err"
		if i.MasterLinkUp {
			status = "ok"
		}
		add("master-link-status", status)
		host := i.MasterHost
		if host == "" {
			host = "?"
		}
		add("master-host", host)
		add("master-port", itoa(int64(i.MasterPort)))
		add("slave-priority", itoa(int64(i.SlavePriority)))
		add("slave-repl-offset", strconv.FormatUint(i.ReplOffset, 10))
		add("replica-announced", itoa(int64(i.ReplicaAnnounced)))
	case KindSentinel:
		add("last-hello-message", msSince(now, i.At(i.LastHello)))
		leader := i.Leader
		if leader == "" {
			leader = "?"
		}
		add("voted-leader", leader)
		add("voted-leader-epoch", strconv.FormatUint(i.LeaderEpoch, 10))
	}
	return InstanceView{Name: i.Name, Addr: i.Addr, RunID: i.RunID, Flags: flags, Fields: f}
}
