package sim

import (
	"testing"
	"time"
)

// TestCalm: a fault between two endpoints, or of either, makes them not
// calm for the window after it ends; other pairs stay calm.
func TestCalm(t *testing.T) {
	w := New(Config{Seed: 1})
	for _, n := range []string{"a", "b", "c"} {
		w.Add(n, Addr{Host: n, Port: 1}, 0, func(*Endpoint) Node { return nopNode{} })
	}
	const d = time.Second
	if w.Calm("a", "b", d) {
		t.Fatal("calm right after booting")
	}
	w.RunFor(2 * d)
	if !w.Calm("a", "b", d) || !w.Calm("a", "a", d) {
		t.Fatal("not calm after a quiet window")
	}
	w.Loss("a", "b", 0.5)
	if w.Calm("a", "b", d) || !w.Calm("a", "c", d) {
		t.Fatal("a lossy link is calm, or made another pair not calm")
	}
	w.RunFor(2 * d)
	w.HealAll()
	w.RunFor(d / 2)
	if w.Calm("a", "b", d) {
		t.Fatal("calm half a window after the loss was lifted")
	}
	w.RunFor(d)
	if !w.Calm("a", "b", d) {
		t.Fatal("not calm a window after the loss was lifted")
	}
	w.Freeze("c", d)
	w.RunFor(d + d/2)
	if w.Calm("a", "c", d) {
		t.Fatal("calm half a window after c resumed")
	}
	// Two jumps back, 2 s then 3 s a second later: c's clock shows again
	// what it showed before the first only 4 s after the second (more
	// than either jump), and c is troubled until then.
	w.RunFor(2 * d)
	w.JumpClock("c", -2*time.Second)
	w.RunFor(d)
	w.JumpClock("c", -3*time.Second)
	w.RunFor(3*d + d/2)
	if w.Calm("c", "c", 0) {
		t.Fatal("calm before its clock caught up with two jumps back")
	}
	w.RunFor(d)
	if !w.Calm("c", "c", 0) {
		t.Fatal("not calm once its clock caught up")
	}
	w.Crash("b")
	if at, down := w.DownSince("b"); !down || !at.Equal(w.Now()) || w.Calm("a", "b", 0) {
		t.Fatalf("crashed b: down since %v %v, calm %v", at, down, w.Calm("a", "b", 0))
	}
}

// TestEndpointAfter: a node's own timer runs on time, waits out a freeze,
// and dies with the process.
func TestEndpointAfter(t *testing.T) {
	w := New(Config{Seed: 1})
	ep := w.Add("a", Addr{Host: "a", Port: 1}, 0, func(*Endpoint) Node { return nopNode{} })
	var ran []time.Duration
	ep.After(time.Second, func() { ran = append(ran, w.Elapsed()) })
	w.Freeze("a", 3*time.Second)
	ep.After(time.Second, func() { ran = append(ran, -1) })
	w.Restart("a")
	w.RunFor(5 * time.Second)
	if len(ran) != 0 {
		t.Fatalf("timers of a crashed incarnation ran: %v", ran)
	}
	ep.After(time.Second, func() { ran = append(ran, w.Elapsed()) })
	w.Freeze("a", 3*time.Second)
	w.RunFor(5 * time.Second)
	if len(ran) != 1 || ran[0] != 8*time.Second {
		t.Fatalf("a timer due while frozen ran at %v, want [8s]", ran)
	}
}

type nopNode struct{}

func (nopNode) Receive(time.Time, string, Msg) {}
func (nopNode) Tick(time.Time)                 {}
