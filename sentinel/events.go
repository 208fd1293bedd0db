package sentinel

import (
	"fmt"

	"github.com/qsentinel/qsentinel/event"
)

// Level is an event's redis log level (event.Level); the names stay here
// so the producers' emit calls read as before.
type Level = event.Level

// Redis log levels, lowest first.
const (
	LevelDebug   = event.LevelDebug
	LevelVerbose = event.LevelVerbose
	LevelNotice  = event.LevelNotice
	LevelWarning = event.LevelWarning
)

// newEvent is an event of group g about instance i (nil: about none),
// with the addresses as we report them (names with announce-hostnames).
func (g *group) newEvent(level Level, kind string, i *instance) event.Event {
	e := event.Event{Level: level, Kind: event.Kind(kind), Master: g.name}
	if i != nil {
		e.Instance = event.Instance{Role: event.Role(i.kind.String()), Name: i.name, Addr: event.Addr(g.s.shown(i.addr))}
		if i.kind != KindMaster {
			e.Instance.MasterName, e.Instance.MasterAddr = g.name, event.Addr(g.s.shown(g.master.addr))
		}
	}
	return e
}

// emit publishes an event about instance i ("%@" details) followed by text.
func (g *group) emit(level Level, typ string, i *instance, text string) {
	e := g.newEvent(level, typ, i)
	e.Text = text
	g.publish(e)
}

func (g *group) emitf(level Level, typ string, i *instance, format string, args ...any) {
	g.emit(level, typ, i, fmt.Sprintf(format, args...))
}

// emitSwitchMaster publishes +switch-master from the master at old to the
// one at to (both as we know them; shown as we report them).
func (g *group) emitSwitchMaster(old, to Addr) {
	e := g.newEvent(LevelWarning, string(event.SwitchMaster), nil)
	e.From, e.To = event.Addr(g.s.shown(old)), event.Addr(g.s.shown(to))
	g.publish(e)
}

// emitNewEpoch publishes +new-epoch.
func (g *group) emitNewEpoch(epoch uint64) {
	e := g.newEvent(LevelWarning, string(event.NewEpoch), nil)
	e.Epoch = epoch
	g.publish(e)
}

// emitVote publishes +vote-for-leader: our vote for leader in epoch.
func (g *group) emitVote(leader string, epoch uint64) {
	e := g.newEvent(LevelWarning, string(event.VoteForLeader), nil)
	e.Leader, e.Epoch = leader, epoch
	g.publish(e)
}

// emitODown publishes +odown of master m with votes of quorum agreeing.
func (g *group) emitODown(m *instance, votes, quorum int) {
	e := g.newEvent(LevelWarning, string(event.ODown), m)
	e.Votes, e.Quorum = votes, quorum
	g.publish(e)
}

// publish puts e on the bus and, as redis-sentinel does for every
// warning-level event tied to a master (all of a group's; only TILT and
// script events are global), runs the notification script with it.
func (g *group) publish(e event.Event) {
	g.s.publish(e)
	if e.Level == LevelWarning && g.cfg.NotificationScript != "" {
		g.s.scripts.Schedule(g.cfg.NotificationScript, string(e.Kind), e.Payload())
	}
}
