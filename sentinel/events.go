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
		e.Instance = event.Instance{Role: event.Role(i.Kind.String()), Name: i.Name, Addr: event.Addr(g.s.shown(i.Addr))}
		if i.Kind != KindMaster {
			e.Instance.MasterName, e.Instance.MasterAddr = g.name, event.Addr(g.s.shown(g.master.Addr))
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

// publishDecided publishes an event the machine decided, with its
// addresses shown as we report them (names with announce-hostnames).
func (g *group) publishDecided(e event.Event) {
	show := func(a event.Addr) event.Addr {
		if a == (event.Addr{}) {
			return a
		}
		return event.Addr(g.s.shown(Addr(a)))
	}
	e.Instance.Addr, e.Instance.MasterAddr = show(e.Instance.Addr), show(e.Instance.MasterAddr)
	e.From, e.To = show(e.From), show(e.To)
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
