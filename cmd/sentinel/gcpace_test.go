package main

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The pacer goes busy at a failover's first event, stays busy while they
// keep coming, ignores an instance's ups and downs, goes back to idle
// after calm, and leaves idle behind when stopped while busy.
func TestGCPacer(t *testing.T) {
	bus := event.NewBus(nil)
	var mu sync.Mutex
	var sets []int
	p := gcPacer{idle: 25, busy: 100, calm: 150 * time.Millisecond, set: func(v int) int {
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
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	sub := bus.Subscribe(16)
	go func() { p.run(ctx, sub); close(done) }()

	bus.Publish(event.Event{Kind: "+sdown"})
	time.Sleep(50 * time.Millisecond)
	if s := got(); len(s) != 0 {
		t.Fatalf("an instance's +sdown changed the GC: %v", s)
	}
	bus.Publish(event.Event{Kind: "+odown"})
	for range 4 { // failover events keep it busy past one calm period
		time.Sleep(60 * time.Millisecond)
		bus.Publish(event.Event{Kind: "+failover-state-select-slave"})
	}
	if s := got(); len(s) != 1 || s[0] != 100 {
		t.Fatalf("during a failover: %v, want [100]", s)
	}
	time.Sleep(400 * time.Millisecond)
	if s := got(); len(s) != 2 || s[1] != 25 {
		t.Fatalf("after calm: %v, want [100 25]", s)
	}
	bus.Publish(event.Event{Kind: "+switch-master"})
	time.Sleep(50 * time.Millisecond)
	cancel()
	<-done
	if s := got(); len(s) != 4 || s[2] != 100 || s[3] != 25 {
		t.Fatalf("stopped while busy: %v, want [100 25 100 25]", s)
	}
}
