package sentinel

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// slowStore is a Store whose saves take a while, as a rewrite of a large
// config does; it records when each save started.
type slowStore struct {
	took   time.Duration
	mu     sync.Mutex
	starts []time.Time
}

func (s *slowStore) Save(*Config) error {
	s.mu.Lock()
	s.starts = append(s.starts, time.Now())
	s.mu.Unlock()
	time.Sleep(s.took)
	return nil
}

func (s *slowStore) saves() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.starts...)
}

// Changes that keep coming (a thousand masters switching one after
// another) do not keep the flusher saving back to back: after a save of
// d the next waits savePace × d, and the changes made meanwhile share it.
// The last change is still saved.
func TestSavesPacedByTheirCost(t *testing.T) {
	store := &slowStore{took: 20 * time.Millisecond}
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: redislink.NewFakeNet(), Logger: quiet, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.flushLoop(ctx) }()
	defer func() { cancel(); <-done }()

	const busy = 600 * time.Millisecond
	end := time.Now().Add(busy)
	var last time.Time
	for time.Now().Before(end) {
		last = time.Now()
		s.markDirty()
		time.Sleep(2 * time.Millisecond)
	}
	// Back to back, 600 ms of 20 ms saves would be 30; paced, a save
	// every 100 ms (20 saving, 80 waiting): 6 or 7.
	if n := len(store.saves()); n > 12 || n < 2 {
		t.Fatalf("%d saves in %v of changes with saves of %v, want 2..12 (paced at %dx their cost)", n, busy, store.took, savePace)
	}
	waitFor(t, "a save after the last change", 2*time.Second, func() bool {
		ss := store.saves()
		return ss[len(ss)-1].After(last)
	})
}
