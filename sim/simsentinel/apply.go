package simsentinel

import (
	"time"

	"github.com/qsentinel/qsentinel/event"

	"github.com/qsentinel/qsentinel/failover"
)

// apply carries out the machine's actions, as package sentinel's apply
// does over real links, then saves and reports if anything changed.
func (g *group) apply(now time.Time) {
	if !g.m.HasReady() {
		return
	}
	persist := false
	for g.m.HasReady() {
		persist = g.applyReady(now) || persist
	}
	if persist {
		g.n.flush(nil) // markDirty: the save loop writes it, nobody waits
	}
	g.n.report()
}

// applyReady carries out one Ready list; it reports whether to save.
func (g *group) applyReady(now time.Time) bool {
	persist := false
	for _, a := range g.m.Ready() {
		switch a.Kind {
		case failover.Emit:
			g.event(a.Event)
		case failover.Persist:
			persist = true
		case failover.SlaveOf, failover.FailoverTo, failover.KillClients, failover.DropClients, failover.Fence:
			if led := g.n.opts.Ledger; led != nil && a.Kind == failover.DropClients {
				led.failedClosed(g.n, g, "drops the master's clients (CLIENT KILL TYPE normal)")
			}
			if a.Kind == failover.Fence && a.Replicas > 0 && g.n.opts.Mutant.has(MutantFenceTooHigh) {
				a.Replicas += 2
			}
			g.tx(now, a.Node, a.Tx(a.To.Host)...)
			if a.Kind == failover.SlaveOf && a.To.Host == "" && !a.Node.Disconnected {
				// As production's pipeTx: the INFO that shows the
				// promotion goes right behind the transaction, even
				// with one in flight.
				g.info(now, a.Node)
			}
		case failover.ScriptKill:
			g.do(now, a.Node, "cmd", []string{"SCRIPT", "KILL"}, nil)
		case failover.Ask:
			g.ask(now, a)
		case failover.RefreshInfo:
			if l := linkOf(a.Node); !l.infoBusy && !a.Node.Disconnected {
				g.info(now, a.Node)
			}
		case failover.CloseLink:
			l := linkOf(a.Node)
			if r := g.m.Successor(a); r != nil && l.refused {
				// As production's driver (failover.Machine.Successor).
				linkOf(r).refused = true
			}
			*l = link{}
			a.Node.Disconnected = true
		case failover.Announce:
			for _, node := range g.m.Nodes() {
				l := linkOf(node)
				l.lastPub = time.Time{}
				// A hello in flight carries the old configuration: the
				// next one goes at the tick after its reply (the driver
				// sends it with the reply).
				l.helloAgain = l.pubBusy
			}
		case failover.KickGossip:
			// No membership gossip in the simulator: hellos only.
		case failover.PreFailover:
			// The simulated sentinels run no scripts: the check passes.
			g.m.PreFailoverDone(a.Epoch, true, "", now, g.n.opts.Timing)
		case failover.ClientReconfig:
			g.tracef("client-reconfig-script %s %s %v %v", a.Role, a.State, a.From, a.To)
		}
	}
	return persist
}

// event traces what matters of an event and hands elections and votes to
// the ledger.
func (g *group) event(e event.Event) {
	if led := g.n.opts.Ledger; led != nil {
		if led.OnEvent != nil {
			led.OnEvent(g.n.ep.Name(), e)
		}
		switch {
		case e.Kind == event.ODown:
			led.fail(g.checkODown(e, g.n.ep.Now()))
		case e.Kind == event.SwitchMaster:
			led.viewBegins(g.n.ep.Name(), g.name)
			if g.n.opts.Mutant.has(MutantOpinionsSurviveSwitch) {
				g.reviveOpinions()
			}
		case e.Kind == "+failover-state-select-slave":
			led.selectBegins(g.n.ep.Name(), g.name)
		case e.Kind == "-failover-abort-no-good-slave":
			led.gaveUp(g.n, g)
		case e.Kind == "+isolated":
			led.failedClosed(g.n, g, "stops naming the master (+isolated)")
		case e.Kind == "+sdown" && e.Instance.Role == event.RoleSentinel:
			led.peerDown(g.n.ep.Name(), e.Instance.Addr)
		}
	}
	if e.Level < event.LevelWarning && e.Kind != "+slave-reconf-done" {
		return
	}
	g.tracef("%s", e.String())
	led := g.n.opts.Ledger
	if led == nil {
		return
	}
	switch e.Kind {
	case event.VoteForLeader:
		led.vote(g.n.ep.Name(), g.name, e.Epoch, e.Leader)
	case event.ElectedLeader:
		if g.m.Master.Flags&failover.FlagForceFailover == 0 {
			led.elected(g.n.ep.Name(), g.n.env.MyID, g.name, g.m.FailoverEpoch)
		}
	}
}

// tx sends cmds inside MULTI/EXEC on the command connection.
func (g *group) tx(now time.Time, node *failover.Node, cmds ...[]string) {
	if node.Disconnected {
		return
	}
	g.do(now, node, "cmd", []string{"MULTI"}, nil)
	for _, c := range cmds {
		g.do(now, node, "cmd", c, nil)
	}
	g.do(now, node, "cmd", []string{"EXEC"}, nil)
}

// ask sends the machine's question to a peer and hands back the answer.
// A vote request goes on the peer's vote link, as production's askVote
// does: its reply waits for the peer's save, and the replies behind it on
// a connection wait with it.
func (g *group) ask(now time.Time, a failover.Action) {
	si := a.Node
	conn := "cmd"
	if a.RunID != "*" && !g.n.opts.Mutant.has(MutantVotesOnPeerLink) {
		conn = "vote"
	}
	sent := g.do(now, si, conn, a.AskArgs(a.To.Host), func(v any, err error) {
		r, ok := failover.ParseDownReply(v)
		if err != nil || !ok {
			g.m.PeerAskFailed(si)
			return
		}
		now := g.n.ep.Now()
		g.heard(si, a.To, r.Down, now)
		g.planted(now, func() { g.m.PeerReply(si, a.To, now, g.n.opts.Timing, g.n.tilt, r.Down, r.Leader, r.Epoch) })
		g.apply(now)
	})
	if !sent {
		g.m.PeerAskFailed(si)
	}
}
