package main

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The releaser gives memory back once calm follows the start, waits out a
// burst that keeps coming, releases once after it, not again without an
// event, and at most once per "every" however the events trickle.
func TestReleaserAfterBursts(t *testing.T) {
	bus := event.NewBus(nil)
	var runs atomic.Int32
	r := releaser{calm: 100 * time.Millisecond, every: time.Second, release: func() { runs.Add(1) }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sub := bus.Subscribe(16)
	go func() { r.run(ctx, sub); close(done) }()
	defer func() { cancel(); <-done }()

	// A discovery that goes on past the calm period: no release during it.
	for range 6 {
		time.Sleep(40 * time.Millisecond)
		bus.Publish(event.Event{Kind: "+sentinel"})
	}
	if n := runs.Load(); n != 0 {
		t.Fatalf("released %d times during the start's burst", n)
	}
	time.Sleep(250 * time.Millisecond)
	if n := runs.Load(); n != 1 {
		t.Fatalf("after the start's burst: %d releases, want 1", n)
	}
	time.Sleep(250 * time.Millisecond)
	if n := runs.Load(); n != 1 {
		t.Fatalf("calm without events: %d releases, want still 1", n)
	}
	// A burst soon after: its release waits for "every" since the last.
	bus.Publish(event.Event{Kind: "+switch-master"})
	time.Sleep(200 * time.Millisecond)
	if n := runs.Load(); n != 1 {
		t.Fatalf("a second burst released within every: %d releases", n)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runs.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("the second burst was never released: %d releases", n)
	}
}
