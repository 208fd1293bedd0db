package sentinel

import (
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// Many goroutines check TILT at once (every group tick, vote and gossip
// does): none of them may mistake another's later reading for time going
// backwards.
func TestTiltNotEnteredByConcurrentChecks(t *testing.T) {
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: redislink.NewFakeNet(), Store: &memStore{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	deadline := time.Now().Add(300 * time.Millisecond)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if s.updateTilt() {
					t.Error("TILT entered without a time jump")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A check that comes much later than the previous one (the process was
// stopped) enters TILT at once, whoever makes it.
func TestTiltEnteredAfterAGap(t *testing.T) {
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: redislink.NewFakeNet(), Store: &memStore{}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s.updateTilt()
	s.tiltMu.Lock()
	s.tiltPrev = s.tiltPrev.Add(-3 * time.Second) // as if frozen for 3 s
	s.tiltMu.Unlock()
	if !s.updateTilt() {
		t.Fatal("no TILT after a 3 s gap")
	}
	if sum := s.Info(); !sum.Tilt || sum.TotalTilt != 1 {
		t.Fatalf("INFO: tilt %v, total %d; want true, 1", sum.Tilt, sum.TotalTilt)
	}
}
