package simsentinel

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
)

const helloChannel = "__sentinel__:hello"

// pubSubIdleLimit is redislink's: how long a pub/sub link may stay silent.
const pubSubIdleLimit = 15 * time.Second

// linkTimeout is production's: half of down-after, within [0.5 s, 5 s].
func (g *group) linkTimeout() time.Duration { return linkTimeout(g.m.DownAfter(g.n.opts.Timing)) }

func linkTimeout(downAfter time.Duration) time.Duration {
	return min(max(downAfter/2, 500*time.Millisecond), 5*time.Second)
}

// pingPeriod is production's (failover.Machine.PingPeriod).
func (g *group) pingPeriod() time.Duration { return g.m.PingPeriod(g.n.opts.Timing) }

// do sends a command to node on connection conn; done gets the reply
// (error replies as sim.RedisError values) or the transport error, after
// the link state was updated from it.
func (g *group) do(now time.Time, node *failover.Node, conn string, args []string, done func(v any, err error)) bool {
	to, ok := g.n.lookup(node.Addr)
	if !ok {
		node.Disconnected = true
		return false
	}
	timeout := g.linkTimeout()
	g.n.cl.Do(now, to, conn, timeout, args, func(v any, err error) {
		if conn == "cmd" {
			node.Disconnected = err != nil
			linkOf(node).refused = errors.Is(err, sim.ErrRefused) // as production's settle
			if err == nil {
				linkOf(node).redialing = false // as production's settle
			}
			if led := g.n.opts.Ledger; led != nil && node.Kind == failover.KindSentinel && errors.Is(err, sim.ErrTimeout) {
				led.peerSilent(g.n.ep.Name(), to, timeout)
			}
		}
		if done != nil {
			done(v, err)
		}
	})
	return true
}

// sendPeriodic is production's sendPeriodic: PING (a peer's shared by
// every group, peerlink.go), INFO, hello, and the pub/sub subscription.
func (g *group) sendPeriodic(now time.Time, node *failover.Node) {
	l := linkOf(node)
	t := g.n.opts.Timing
	pp := g.pingPeriod()
	if node.Kind != failover.KindSentinel && l.subscribed {
		// Production's pub/sub link drops a connection silent for
		// pubSubIdleLimit (hellos come every publish period, our own
		// too): a partition can leave it stalled for good.
		if to, ok := g.n.lookup(node.Addr); ok && now.Sub(g.n.heard[to]) > pubSubIdleLimit {
			g.n.cl.Close(to, "pubsub")
			l.subscribed = false
		}
	}
	if node.Kind != failover.KindSentinel && !l.subscribed && !l.subBusy {
		l.subBusy = true
		g.do(now, node, "pubsub", []string{"SUBSCRIBE", helloChannel}, func(_ any, err error) {
			l.subBusy = false
			l.subscribed = err == nil
			if err == nil {
				if to, ok := g.n.lookup(node.Addr); ok {
					g.n.heard[to] = g.n.ep.Now()
				}
				l.lastPub = time.Time{} // announce ourselves at once
			}
		})
	}
	if node.Kind == failover.KindSentinel {
		g.takePeerAvail(now, node)
	}
	pingDue := now.Sub(node.At(node.LastPong)) > pp || node.LastPing.IsZero()
	pinged := false
	if !l.pingBusy && now.Sub(node.At(node.LastPing)) > g.m.ReconnectGap(node, l.redialing, t) && pingDue && g.n.redials.Allow(node, l.refused) {
		if node.Kind != failover.KindSentinel || g.claimPeerPing(now, node, pp/2) {
			pinged = g.ping(now, node)
		} else {
			// Another group's PING on the shared link is ours too.
			g.m.PingSent(node, now)
		}
	}
	if node.Disconnected {
		if pinged && node.Kind != failover.KindSentinel && !l.infoBusy && node.InfoRefresh.IsZero() {
			g.info(now, node)
		}
		return
	}
	if node.Kind != failover.KindSentinel && !l.infoBusy {
		period := t.InfoPeriod
		if node.Kind == failover.KindReplica && (g.m.Master.Flags&(failover.FlagSDown|failover.FlagODown|failover.FlagFailoverInProgress) != 0 || node.MasterLinkDownTime != 0) {
			period = time.Second
		}
		if node.InfoRefresh.IsZero() || now.Sub(node.At(node.InfoRefresh)) > period {
			g.info(now, node)
		}
	}
	if node.Kind != failover.KindSentinel && !l.pubBusy && now.Sub(l.lastPub) > t.PublishPeriod && !g.m.HelloBlocked(node) {
		g.hello(now, node)
	}
}

func (g *group) ping(now time.Time, node *failover.Node) bool {
	l := linkOf(node)
	l.pingBusy = true
	l.redialing = node.Disconnected
	g.m.PingSent(node, now)
	sent := g.do(now, node, "cmd", []string{"PING"}, func(v any, err error) {
		l.pingBusy = false
		if err != nil {
			return
		}
		text, _ := v.(string)
		var re sim.RedisError
		if errors.As(asError(v), &re) {
			text = string(re)
		}
		if !g.current(node) {
			return
		}
		if g.m.PingReply(node, g.n.ep.Now(), text) && node.Kind == failover.KindSentinel {
			g.peerAvail(node, g.n.ep.Now())
		}
		g.apply(g.n.ep.Now())
	})
	if !sent {
		l.pingBusy = false
	}
	return sent
}

func asError(v any) error {
	if e, ok := v.(error); ok {
		return e
	}
	return nil
}

func (g *group) info(now time.Time, node *failover.Node) {
	l := linkOf(node)
	l.infoBusy = true
	if !g.do(now, node, "cmd", []string{"INFO"}, func(v any, err error) {
		l.infoBusy = false
		text, ok := v.(string)
		if err != nil || !ok || text == "" || !g.current(node) {
			return
		}
		g.onInfo(g.n.ep.Now(), node, text)
	}) {
		l.infoBusy = false
	}
}

// current says whether node is still one of the machine's: a reply that
// outlived a +switch-master or a reset is for a node the machine made
// anew since, and acting on it acts on the old view (production's
// settle drops replies from a link replaced meanwhile). An INFO of the
// replica a peer promoted, asked for before we learned of the switch and
// read after, reported role master for a replica node of the new master's
// own address: the machine converted the new master into a replica of
// itself.
func (g *group) current(node *failover.Node) bool {
	for _, n := range g.m.Nodes() {
		if n == node {
			return true
		}
	}
	return false
}

// onInfo hands INFO to the machine, replicas a master lists first.
func (g *group) onInfo(now time.Time, node *failover.Node, text string) {
	r := failover.ParseInfo(text)
	if node.Kind == failover.KindMaster {
		for _, a := range r.Replicas {
			g.m.AddReplica(a, now)
		}
	}
	g.m.Info(node, now, g.n.opts.Timing, g.n.tilt, text, r)
	g.apply(now)
}

func (g *group) helloPayload() string {
	a := g.n.ep.Addr()
	ma := g.m.CurrentMasterAddr()
	return a.Host + "," + strconv.Itoa(a.Port) + "," + g.n.env.MyID + "," +
		strconv.FormatUint(g.n.env.Epochs.Current(), 10) + "," + g.name + "," +
		ma.Host + "," + strconv.Itoa(ma.Port) + "," + strconv.FormatUint(g.m.ConfigEpoch, 10)
}

func (g *group) hello(now time.Time, node *failover.Node) {
	l := linkOf(node)
	l.pubBusy = true
	if !g.do(now, node, "cmd", []string{"PUBLISH", helloChannel, g.helloPayload()}, func(_ any, err error) {
		l.pubBusy = false
		if err == nil && !l.helloAgain {
			l.lastPub = g.n.ep.Now()
		}
		l.helloAgain = false
	}) {
		l.pubBusy = false
	}
}

// processHello is ProcessHello: the master's machine learns the sender;
// a peer that moved or restarted is updated in every other master.
func (n *Node) processHello(now time.Time, payload string) {
	if strings.Contains(payload, n.env.MyID) {
		return
	}
	h, ok := failover.ParseHello(payload)
	if !ok {
		return
	}
	g := n.byName[h.MasterName]
	if g == nil {
		return
	}
	res := g.m.Hello(h, now)
	g.apply(now)
	for _, other := range n.groups {
		if other == g {
			continue
		}
		if res.Moved {
			addr := h.Addr
			other.m.ForgetPeer(h.RunID, &addr)
		}
		if res.Obsolete != "" {
			other.m.ForgetPeer(res.Obsolete, nil)
		}
		other.apply(now)
	}
}
