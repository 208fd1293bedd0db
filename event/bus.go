package event

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

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
// channel's buffer is allocated whole: 4,096 events by value would be
// about 1 MB of heap per subscriber, by pointer 32 KB.)
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

// Publish delivers e to every subscriber without waiting; an event
// without a time gets the current one.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// The text is made only when the log keeps the event's level.
	if ctx, l := context.Background(), e.Level.slogLevel(); b.logger != nil && b.logger.Enabled(ctx, l) {
		b.logger.Log(ctx, l, e.String(), "event", string(e.Kind), "master", e.Master)
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

// slogLevel maps redis's levels onto slog's, as the log file and syslog
// writers expect them (debug is below slog's Debug, verbose is Debug).
func (l Level) slogLevel() slog.Level {
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
