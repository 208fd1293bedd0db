package sentinel

import (
	"github.com/qsentinel/qsentinel/failover"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Level is redis's log level of an event (failover.Level).
type Level = failover.Level

// Redis log levels, lowest first.
const (
	LevelDebug   = failover.LevelDebug
	LevelVerbose = failover.LevelVerbose
	LevelNotice  = failover.LevelNotice
	LevelWarning = failover.LevelWarning
)

// Event is one sentinel event. Type is the pub/sub channel ("+sdown"),
// Payload the message exactly as redis-sentinel publishes it.
type Event struct {
	Time    time.Time
	Level   Level
	Type    string
	Payload string
	Master  string // name of the master the event belongs to, "" for global ones
}

// String is the log form operators grep redis-sentinel logs for.
func (e Event) String() string { return e.Type + " " + e.Payload }

// instanceDetails formats redis-sentinel's "%@": the instance, then for a
// replica or sentinel the master it belongs to.
func instanceDetails(kind Kind, name string, addr Addr, master string, maddr Addr) string {
	s := kind.String() + " " + name + " " + addr.Host + " " + strconv.Itoa(addr.Port)
	if kind != KindMaster {
		s += " @ " + master + " " + maddr.Host + " " + strconv.Itoa(maddr.Port)
	}
	return s
}

// Bus fans events out to subscribers (pub/sub, hooks, metrics, logs).
// Publishing never blocks the monitor: each subscriber has its own buffer,
// and a subscriber that falls that far behind loses events (counted).
type Bus struct {
	mu      sync.RWMutex
	subs    map[*Subscription]struct{}
	dropped atomic.Uint64
	logger  *slog.Logger
}

// Subscription receives events on C until Close. Events are shared by
// every subscriber: read them, never change them. (Pointers because a
// channel's buffer is allocated whole: 4,096 events by value were 320 KB
// of heap per subscriber, by pointer 32 KB.)
type Subscription struct {
	C    <-chan *Event
	c    chan *Event
	bus  *Bus
	once sync.Once
}

// NewBus returns a bus that also logs every event through logger (nil: no log).
func NewBus(logger *slog.Logger) *Bus {
	return &Bus{subs: map[*Subscription]struct{}{}, logger: logger}
}

// Subscribe registers a subscriber with a buffer of n events.
func (b *Bus) Subscribe(n int) *Subscription {
	c := make(chan *Event, n)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close unregisters the subscription and closes its channel.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.c)
		s.bus.mu.Unlock()
	})
}

// Dropped counts events lost by slow subscribers.
func (b *Bus) Dropped() uint64 { return b.dropped.Load() }

// Publish delivers e to every subscriber without waiting.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if b.logger != nil {
		b.logger.Log(nil, slogLevel(e.Level), e.String(), "event", e.Type, "master", e.Master)
	}
	ev := &e
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.c <- ev:
		default:
			b.dropped.Add(1)
		}
	}
}

func slogLevel(l Level) slog.Level {
	switch l {
	case LevelDebug:
		return slog.LevelDebug - 4
	case LevelVerbose:
		return slog.LevelDebug
	case LevelNotice:
		return slog.LevelInfo
	default:
		return slog.LevelWarn
	}
}
