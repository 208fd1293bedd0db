package sentinel

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// helloChannel is where sentinels announce themselves on every instance.
const helloChannel = "__sentinel__:hello"

// maxPending bounds commands in flight on one link (SENTINEL_MAX_PENDING_COMMANDS).
const maxPending = 100

func (g *group) connOptions(i *instance, suffix string) redislink.ConnOptions {
	o := redislink.ConnOptions{
		Addr:       i.Addr.String(),
		ClientName: g.s.clientName(suffix),
		Timeout:    g.linkTimeout(),
		TLS:        g.s.opts.TLS,
		MinAge:     g.s.minAge,
	}
	if i.Kind == KindSentinel {
		// Peers share one password: sentinel-user/pass, else our requirepass.
		o.Username, o.Password = g.s.peerAuth()
	} else {
		o.Username, o.Password = g.cfg.AuthUser, g.cfg.AuthPass
	}
	return o
}

// linkTimeout bounds one command: a reply later than half of down-after
// means the link is as good as dead (redis-sentinel drops it then too).
func (g *group) linkTimeout() time.Duration {
	d := g.downAfter() / 2
	if d < 500*time.Millisecond {
		d = 500 * time.Millisecond
	}
	if d > 5*time.Second {
		d = 5 * time.Second
	}
	return d
}

// ensureLink opens the instance's links if they are not open.
func (g *group) ensureLink(i *instance) {
	if i.conn != nil {
		return
	}
	now := g.s.clock.Now()
	i.connectedAt = i.Stamp(now)
	g.s.resolveLater(i.Addr.Host)
	if i.Kind == KindSentinel {
		i.conn, i.connKey = g.s.acquirePeer(i.RunID+"@"+i.Addr.String(), g.connOptions(i, "cmd"))
		return
	}
	i.conn = g.s.dialer.Dial(g.connOptions(i, "cmd"))
	// The pub/sub link opens when the command link first answers
	// (settle), a round trip later than redis-sentinel's: an instance
	// that does not answer costs one connect a period, not two. When a
	// host with a thousand masters dies, the replica entries a failover
	// leaves at their old addresses were a thousand failed connects per
	// sentinel in the seconds the failover needs its CPU.
}

// subscribe opens i's pub/sub link (hellos).
func (g *group) subscribe(i *instance) {
	i.subGen++
	gen := i.subGen
	// setSub records the pub/sub link's state unless the link it comes
	// from was replaced meanwhile.
	setSub := func(up bool) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if i.subGen == gen {
			i.sub.up, i.sub.drop = up, !up
		}
	}
	opts := g.connOptions(i, "pubsub")
	i.sub.stop = g.s.dialer.Subscribe(opts, helloChannel, redislink.SubHandler{
		Connected: func() { setSub(true) },
		Subscribed: func() {
			// Announce ourselves on this instance now. A peer that
			// subscribed before us hears it and answers at once
			// (ProcessHello), so peers that start together find each
			// other in a round trip rather than a publish period.
			g.mu.Lock()
			if i.subGen == gen {
				i.sub.up, i.sub.drop = true, false
				i.lastPub = 0
			}
			g.mu.Unlock()
		},
		Dropped: func() { setSub(false) },
		// A reconnect while the command link is down too would be a
		// failed connect to a dead instance (a thousand a second when a
		// host with a thousand masters dies): parked instead, and opened
		// again when the command link answers (settle).
		Retry: func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			if i.subGen != gen {
				return false // closed or replaced meanwhile
			}
			if i.parkSub() {
				g.closeSub(i)
				return false
			}
			return true
		},
		// Our own hellos, which come back on every instance, are
		// skipped there by their run id, as redis-sentinel does.
		Message: g.s.ProcessHello,
	})
}

// closeSub closes i's pub/sub link, if open; a late event of it changes
// nothing (subGen).
func (g *group) closeSub(i *instance) {
	if i.sub.stop != nil {
		i.sub.stop()
	}
	i.sub = subLink{}
	i.subGen++
}

func (g *group) closeLink(i *instance) {
	g.closeSub(i)
	if i.conn != nil {
		if i.connKey != "" {
			g.s.releasePeer(i.connKey)
		} else {
			i.conn.Close()
		}
		if i.voteConn != nil {
			g.s.releasePeer(i.connKey + voteLinkSuffix)
		}
		i.Disconnected = true
	}
	// Everything about the closed link goes with it (instance.link). The
	// next link is a first dial, maybe to another address (a switch keeps
	// the master's instance): not paced or budgeted as a redial of the
	// one closed, and with nothing in flight (the closed link's replies
	// are ignored, settle).
	i.link = link{}
}

// sendPeriodic is sentinelSendPeriodicCommands.
func (g *group) sendPeriodic(ctx context.Context, i *instance, now time.Time, t Timing) {
	if i.pending >= maxPending {
		return
	}
	pingPeriod := g.pingPeriod(t)
	if i.Kind == KindSentinel && i.connKey != "" {
		// A PING reply on the shared peer connection answers for every
		// master's view of that peer, and shows that this instance's link
		// works once it came after the link was (re)acquired. Gating this
		// on our own replies (as before) left a peer found by 49 other
		// masters' hellos "disconnected" and then s_down for seconds after
		// discovery, and a disconnected peer is never asked for its
		// opinion: objective down waited for it (50 masters killed right
		// after discovery switched in ~7 s instead of ~1.3 s).
		//
		// When it is passed on, and when it marks the link up again, is
		// failover.Machine.SharedPeerReply's rule.
		if g.m.SharedPeerReply(i.Node, g.s.peerAvail(i.connKey), i.At(i.connectedAt), now, t) {
			i.Disconnected = false
		}
	}
	// While the link is down only the PING goes out: it doubles as the
	// reconnect attempt (failover.Machine.ReconnectGap: once a second
	// after one failed).
	pingDue := now.Sub(i.At(i.LastPong)) > pingPeriod || i.LastPing.IsZero()
	if !pingDue && i.Kind != KindSentinel && !i.Disconnected && !i.pubBusy && now.Sub(i.At(i.lastPub)) > t.PublishPeriod {
		// A hello goes out this tick: a PING up to half a period early
		// shares its write (the tick flushes each link once) and stays in
		// step with it after, two writes per publish period instead of
		// three. Peers' links have their own PING sharing (claimPeerPing).
		pingDue = true
	}
	pinged := false
	// An instance that refused a connect is redialled within the
	// sentinel's budget (failover.RedialBudget): at thousands of dead
	// ports, the refused connects were what starved the loop.
	if !i.pingBusy && now.Sub(i.At(i.LastPing)) > g.m.ReconnectGap(i.Node, i.redialing, t) && pingDue && g.s.allowRedial(i.Node, i.refused) {
		if i.connKey == "" || g.s.claimPeerPing(i.connKey, now, pingPeriod/2) {
			g.sendPing(ctx, i, now)
			pinged = true
		} else {
			// Another group's PING on the shared link is ours too: its
			// reply reaches us through peerAvail, its silence through
			// actPing, exactly as if we had sent it.
			g.m.PingSent(i.Node, now)
		}
	}
	if i.sub.stop != nil && i.parkSub() {
		// Parked (parkSub) until its command link answers again (settle
		// reopens it). Both links used to redial once a second each:
		// when a machine with 1,000 masters dies, 2,000
		// failed connects a second per sentinel, the largest part of its
		// CPU while it fails them over (BENCHMARKS.md). The PING that
		// doubles as the command link's reconnect notices the instance
		// is back, as often as the pub/sub link's own retry would (once
		// a second, every half second before it is down); its pub/sub
		// link follows within a round trip, where redis-sentinel's would
		// at its next reconnect. Not parked while the pub/sub link is
		// still being opened: a new instance's first dial would be
		// thrown away.
		g.closeSub(i)
	}
	if i.Disconnected {
		// redis-sentinel queues the first INFO right behind the PING of a
		// new link instead of waiting for the PONG and the next tick: a
		// replica found a moment ago must be a failover candidate (fresh
		// INFO) as soon as it is for redis-sentinel, or SENTINEL FAILOVER
		// just after start answers -NOGOODSLAVE where redis says OK. Only
		// while no INFO was ever answered: a dead link still costs one
		// PING per period.
		if pinged && i.Kind != KindSentinel && !i.infoBusy && i.InfoRefresh.IsZero() {
			g.sendInfo(ctx, i)
		}
		return
	}
	if i.Kind != KindSentinel && !i.infoBusy {
		infoPeriod := t.InfoPeriod
		if i.Kind == KindReplica && (g.master.Flags&(failover.FlagSDown|failover.FlagODown|failover.FlagFailoverInProgress) != 0 || i.MasterLinkDownTime != 0) {
			infoPeriod = time.Second
		}
		if i.InfoRefresh.IsZero() || now.Sub(i.At(i.InfoRefresh)) > infoPeriod {
			g.sendInfo(ctx, i)
		}
	}
	if !i.pubBusy && now.Sub(i.At(i.lastPub)) > t.PublishPeriod && !g.m.HelloBlocked(i.Node) {
		g.sendHello(ctx, i)
	}
}

// pingPeriod is how often instances are pinged (failover.Machine.PingPeriod:
// the agent's agreement window is counted in the same periods).
func (g *group) pingPeriod(t Timing) time.Duration { return g.m.PingPeriod(t) }

// mapCommand applies "sentinel rename-command" to commands sent to the
// master and its replicas.
func (g *group) mapCommand(i *instance, cmd string) string {
	if i.Kind == KindSentinel {
		return cmd
	}
	for _, rc := range g.cfg.RenameCommands {
		if strings.EqualFold(rc.Command, cmd) {
			return rc.Renamed
		}
	}
	return cmd
}

// commandArgs is the argument list of the one-word command cmd (PING,
// INFO) to i, renamed as mapCommand does. The tick sends both to every
// instance each period: where no rename applies they are the Sentinel's
// shared slices, not a new []any and a boxed string per command (links
// only read a command's arguments).
func (g *group) commandArgs(i *instance, cmd string) []any {
	if mapped := g.mapCommand(i, cmd); mapped != cmd {
		return []any{mapped}
	}
	switch cmd {
	case "PING":
		return g.s.pingArgs
	case "INFO":
		return g.s.infoArgs
	}
	return []any{cmd}
}

// Tags of the periodic commands, whose replies come back through
// instance.Reply rather than a callback each.
const (
	tagPing = iota + 1
	tagInfo
	tagHello
)

// sendTagged sends a periodic command (tag) on i's link; its reply comes
// back to i.Reply. Links that take no Replier get a callback doing the
// same.
func (g *group) sendTagged(ctx context.Context, i *instance, tag int, args ...any) {
	conn := i.conn
	if i.g == nil {
		// Written once, before its first command: Reply reads it
		// without the lock (it is how it finds the lock).
		i.g = g
	}
	tc, ok := conn.(redislink.TaggedConn)
	if !ok {
		g.async(ctx, i, func(reply any, err error) { i.replied(tag, reply, err) }, args...)
		return
	}
	i.pending++
	if g.batch == nil {
		tc.SendTo(g.linkTimeout(), i, tag, true, args...)
	} else if tc.SendTo(g.linkTimeout(), i, tag, false, args...) {
		g.batch.Add(tc)
	}
}

// Reply is redislink.Replier for the periodic commands (sendTagged).
func (i *instance) Reply(from redislink.Conn, tag int, reply any, err error) {
	g := i.g
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.settle(i, from, err) {
		i.replied(tag, reply, err)
	}
}

// replied applies the reply to a periodic command, under the group lock.
func (i *instance) replied(tag int, reply any, err error) {
	switch tag {
	case tagPing:
		i.g.onPong(i, reply, err)
	case tagInfo:
		i.g.onInfoReply(i, reply, err)
	case tagHello:
		i.g.onHelloReply(i, err)
	}
}

// settle is what every reply on i's link does first, under the group
// lock: false when it comes from a link that was replaced meanwhile, and
// is to be ignored.
func (g *group) settle(i *instance, from redislink.Conn, err error) bool {
	if i.conn != from {
		return false
	}
	i.answered(1)
	if err != nil && !redislink.IsReplyError(err) {
		if !i.Disconnected {
			// redis-sentinel resolves the name again at each
			// reconnect: the instance may come back elsewhere.
			g.s.resolveLater(i.Addr.Host)
		}
		i.Disconnected = true
		i.refused = errors.Is(err, syscall.ECONNREFUSED)
	} else {
		if i.Disconnected {
			i.connectedAt = i.Stamp(g.s.clock.Now())
			if i.sub.stop == nil && i.Kind != KindSentinel {
				// Parked while the instance was down (sendPeriodic): it
				// answers again, so its hellos come back now.
				g.subscribe(i)
			}
		}
		i.Disconnected = false
		i.redialing = false // the reconnect worked: a later drop redials at once
		i.refused = false
	}
	return true
}

// async runs a command on i's link without holding the group lock and
// applies the result under it. The instance may have been replaced or
// removed meanwhile; apply is skipped then.
func (g *group) async(ctx context.Context, i *instance, apply func(reply any, err error), args ...any) {
	conn := i.conn
	i.pending++
	done := func(reply any, err error) {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.settle(i, conn, err) {
			apply(reply, err)
		}
	}
	g.send(ctx, conn, done, args...)
}

// send runs one command on conn and calls done with its result, without
// holding the group lock: batched with the tick's other commands on an
// event-loop link, else as the link can.
func (g *group) send(ctx context.Context, conn redislink.Conn, done func(reply any, err error), args ...any) {
	timeout := g.linkTimeout()
	if bc, ok := conn.(redislink.BufferedConn); ok && g.batch != nil {
		if bc.SendBuffered(timeout, done, args...) {
			g.batch.Add(bc)
		}
		return
	}
	if ac, ok := conn.(redislink.AsyncConn); ok {
		ac.Send(timeout, done, args...)
		return
	}
	go func() {
		cctx, cancel := context.WithTimeout(ctx, timeout)
		reply, err := conn.Do(cctx, args...)
		cancel()
		done(reply, err)
	}()
}

func (g *group) sendPing(ctx context.Context, i *instance, now time.Time) {
	i.pingBusy = true
	i.redialing = i.Disconnected
	g.m.PingSent(i.Node, now)
	g.sendTagged(ctx, i, tagPing, g.commandArgs(i, "PING")...)
}

// onPong takes a PING's reply (under mu).
func (g *group) onPong(i *instance, reply any, err error) {
	i.pingBusy = false
	if err != nil && !redislink.IsReplyError(err) {
		return
	}
	now := g.s.clock.Now()
	text := redislink.ReplyString(reply)
	if err != nil {
		text = redislink.ErrorText(err)
	}
	if g.m.PingReply(i.Node, now, text) && i.connKey != "" {
		g.s.setPeerAvail(i.connKey, now)
	}
	g.apply()
}

func (g *group) sendInfo(ctx context.Context, i *instance) {
	i.infoBusy = true
	g.sendTagged(ctx, i, tagInfo, g.commandArgs(i, "INFO")...)
}

// onInfoReply takes an INFO's reply (under mu).
func (g *group) onInfoReply(i *instance, reply any, err error) {
	i.infoBusy = false
	if err != nil {
		return
	}
	if text := redislink.ReplyString(reply); text != "" {
		g.onInfo(g.ctx, i, text)
	}
}

// helloArgs is the PUBLISH of our 8-field hello for this group as i
// gets it (nil when we cannot tell our own address yet). Every instance
// of the group gets the same one unless our address differs per link (no
// announce-ip and several local addresses), so it is made once and reused
// while it says what a new one would: at 5,000 masters three hellos per
// master go out every two seconds, and a new argument slice for each was
// half of what an idle sentinel allocated (0.46 MB/s).
func (g *group) helloArgs(i *instance) []any {
	ip, port := g.s.announce()
	if ip == "" {
		ip = i.conn.LocalIP()
		if ip == "" {
			return nil
		}
	}
	want := failover.Hello{
		Addr:         Addr{Host: ip, Port: port},
		RunID:        g.s.myID,
		CurrentEpoch: g.s.CurrentEpoch(),
		MasterName:   g.name,
		MasterAddr:   g.s.shown(g.m.CurrentMasterAddr()),
		ConfigEpoch:  g.m.ConfigEpoch,
	}
	if g.hello != nil {
		// Our own payload reads back exactly: a match says every field.
		if h, ok := failover.ParseHello(g.hello[2].(string)); ok && h == want {
			return g.hello
		}
	}
	g.hello = []any{"PUBLISH", helloChannel, helloText(want)}
	return g.hello
}

// helloText is the hello payload
// "ip,port,runid,current_epoch,master_name,master_ip,master_port,config_epoch".
func helloText(h failover.Hello) string {
	return h.Addr.Host + "," + strconv.Itoa(h.Addr.Port) + "," + h.RunID + "," +
		strconv.FormatUint(h.CurrentEpoch, 10) + "," +
		h.MasterName + "," + h.MasterAddr.Host + "," + strconv.Itoa(h.MasterAddr.Port) + "," +
		strconv.FormatUint(h.ConfigEpoch, 10)
}

func (g *group) sendHello(ctx context.Context, i *instance) {
	args := g.helloArgs(i)
	if args == nil {
		return
	}
	i.pubBusy = true
	i.helloAgain = false
	if mapped := g.mapCommand(i, "PUBLISH"); mapped != "PUBLISH" {
		args = []any{mapped, helloChannel, args[2]}
	}
	g.sendTagged(ctx, i, tagHello, args...)
}

// onHelloReply takes a hello's reply (under mu).
func (g *group) onHelloReply(i *instance, err error) {
	i.pubBusy = false
	if err == nil {
		i.lastPub = i.Stamp(g.s.clock.Now())
	}
	if i.helloAgain && g.ctx != nil && g.ctx.Err() == nil && i.conn != nil && !i.Disconnected {
		g.sendHello(g.ctx, i)
	}
}

// forceHello announces the group's configuration on every instance now
// (those with a hello in flight right after its reply, those without a
// link at the next tick), so a new
// configuration reaches the peers within a round trip instead of a
// publish period: a client subscribed to any sentinel hears the switch
// about when the leader's subscribers do (BENCHMARKS.md, per sentinel).
func (g *group) forceHello(ctx context.Context) {
	for _, n := range g.m.Nodes() {
		i := inst(n)
		i.lastPub = 0
		switch {
		case i.pubBusy:
			i.helloAgain = true
		case i.conn != nil && !i.Disconnected:
			g.sendHello(ctx, i)
		}
	}
}
