package main

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The pacer starts idle, goes busy at a failover's first event, stays
// busy while they keep coming, ignores an instance's ups and downs, goes
// back to idle after calm, recomputes the idle percent while idle and
// calm, and leaves idle behind when stopped while busy.
func TestGCPacer(t *testing.T) {
	// Every period and pause is scaled by slow: events 30 ms apart once
	// came more than the calm period (then 150 ms) apart under the race
	// detector on a loaded machine, and a recheck ran during the
	// "discovery".
	const slow = 3
	bus := event.NewBus(nil)
	var mu sync.Mutex
	var sets []int
	idle := 25
	var lowered atomic.Int32
	p := gcPacer{lowered: func() { lowered.Add(1) }, lowerEvery: time.Minute, busy: 100, calm: slow * 150 * time.Millisecond, recheck: slow * 100 * time.Millisecond,
		idle: func() int {
			mu.Lock()
			defer mu.Unlock()
			return idle
		},
		set: func(v int) int {
			mu.Lock()
			sets = append(sets, v)
			mu.Unlock()
			return 0
		}}
	got := func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), sets...)
	}
	want := func(what string, w ...int) {
		t.Helper()
		if s := got(); !slices.Equal(s, w) {
			t.Fatalf("%s: %v, want %v", what, s, w)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sub := bus.Subscribe(16)
	go func() { p.run(ctx, sub); close(done) }()

	bus.Publish(event.Event{Kind: "+sdown"})
	bus.Publish(event.Event{Kind: "+slave"})
	time.Sleep(slow * 50 * time.Millisecond)
	want("the start, an instance's +sdown, a discovery", 25)
	bus.Publish(event.Event{Kind: "+odown"})
	for range 4 { // failover events keep it busy past one calm period
		time.Sleep(slow * 60 * time.Millisecond)
		bus.Publish(event.Event{Kind: "+failover-state-select-slave"})
	}
	want("during a failover", 25, 100)
	time.Sleep(slow * 400 * time.Millisecond)
	want("after calm", 25, 100, 25)
	mu.Lock()
	idle = 12 // the live heap grew
	mu.Unlock()
	for range 8 { // a discovery's events hold the recheck off
		bus.Publish(event.Event{Kind: "+sentinel"})
		time.Sleep(slow * 30 * time.Millisecond)
	}
	want("a recheck during a discovery", 25, 100, 25)
	time.Sleep(slow * 300 * time.Millisecond)
	want("a recheck while idle and calm", 25, 100, 25, 12)
	if n := lowered.Load(); n != 1 {
		t.Fatalf("pages given back %d times after the idle percent fell, want 1", n)
	}
	mu.Lock()
	idle = 25 // the live heap shrank, and grew again at once
	mu.Unlock()
	time.Sleep(slow * 250 * time.Millisecond)
	mu.Lock()
	idle = 12
	mu.Unlock()
	time.Sleep(slow * 250 * time.Millisecond)
	want("the live heap back and forth", 25, 100, 25, 12, 25, 12)
	if n := lowered.Load(); n != 1 {
		t.Fatalf("pages given back %d times within lowerEvery, want 1", n)
	}
	bus.Publish(event.Event{Kind: "+switch-master"})
	time.Sleep(slow * 50 * time.Millisecond)
	cancel()
	<-done
	want("stopped while busy", 25, 100, 25, 12, 25, 12, 100, 12)
	if n := lowered.Load(); n != 1 {
		t.Fatalf("pages given back %d times, want 1 (only after a recheck lowered the idle percent)", n)
	}
}

// The idle percent is a quarter up to 12 MiB of live heap, then keeps
// the growth between collections near 3 MiB, never below 10.
func TestIdleGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{{0, 25}, {1 << 20, 25}, {12 << 20, 25}, {24 << 20, 12}, {26 << 20, 11}, {100 << 20, 10}} {
		if got := idleGCPercentFor(c.live); got != c.want {
			t.Errorf("idleGCPercentFor(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// The live heap is read from the runtime (a metric that a Go release
// could rename: then the idle percent would silently stay a quarter).
func TestLiveHeap(t *testing.T) {
	runtime.GC()
	if n := liveHeap(); n == 0 {
		t.Fatal("no live heap read after a collection")
	}
}
