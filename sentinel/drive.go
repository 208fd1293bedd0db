package sentinel

import (
	"context"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/failover"
)

// apply carries out what the machine decided, in order (under g.mu). It
// is called after every fact handed to the machine, so decisions never
// wait for a tick.
func (g *group) apply() {
	if !g.m.HasReady() {
		return
	}
	ctx := g.ctx
	if ctx == nil {
		ctx = g.s.ctx
	}
	// An action may feed the machine a fact at once (a pre-failover
	// check without a script), deciding more: carry those out too.
	for g.m.HasReady() {
		g.applyReady(ctx)
	}
}

func (g *group) applyReady(ctx context.Context) {
	ready := g.m.Ready()
	defer g.m.Release(ready)
	for _, a := range ready {
		switch a.Kind {
		case failover.Emit:
			if a.Event.Kind == event.SwitchMaster {
				g.switchedAt = g.s.clock.Now()
			}
			if a.Event.Kind == event.SDown && a.Node != nil {
				g.logSilence(ctx, inst(a.Node))
			}
			g.publishDecided(a.Event)
			if g.crashPoint(a.Event.Kind) {
				g.s.simulatedCrash()
			}
		case failover.Persist:
			g.s.markDirty()
		case failover.SlaveOf, failover.FailoverTo, failover.KillClients, failover.DropClients, failover.Fence:
			g.sendAction(ctx, inst(a.Node), a)
		case failover.ScriptKill:
			i := inst(a.Node)
			if i.conn != nil {
				g.async(ctx, i, func(any, error) {}, g.mapCommand(i, "SCRIPT"), "KILL")
			}
		case failover.Ask:
			g.askPeer(ctx, inst(a.Node), a)
		case failover.RefreshInfo:
			i := inst(a.Node)
			if !i.infoBusy && i.conn != nil && !i.Disconnected {
				g.sendInfo(ctx, i)
			}
		case failover.CloseLink:
			i := inst(a.Node)
			if r := g.m.Successor(a); r != nil && i.refused {
				// The port refused a moment ago (failover.Machine.Successor).
				inst(r).refused = true
			}
			g.closeLink(i)
		case failover.Announce:
			g.forceHello(ctx)
		case failover.KickGossip:
			g.s.kickGossip()
		case failover.PreFailover:
			g.preFailover(a.Epoch)
		case failover.ClientReconfig:
			g.clientReconfig(a.Role, a.State, a.From, a.To)
		}
	}
}

// crashPoint says whether SENTINEL SIMULATE-FAILURE asked to crash right
// after this event.
func (g *group) crashPoint(typ event.Kind) bool {
	f := g.s.simFlags.Load()
	return typ == "+elected-leader" && f&SimCrashAfterElection != 0 ||
		typ == "+promoted-slave" && f&SimCrashAfterPromotion != 0
}
