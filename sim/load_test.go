package sim_test

import (
	"testing"
	"time"
)

// TrailReads reads every message the same time late, in order, also the
// ones that come after the trail ended behind its backlog; CaughtUp says
// as much, and ReadDelay remembers how late for the window asked.
func TestTrailReadsReadsEveryMessageLateInOrder(t *testing.T) {
	w, bep, b := readerPair(t, 3)
	before := len(b.got)
	w.TrailReads("b", 300*time.Millisecond, time.Second)
	w.RunFor(250 * time.Millisecond)
	if n := len(b.got) - before; n > 1 {
		t.Fatalf("%d messages read within 250 ms of a 300 ms trail", n)
	}
	if c, want := bep.CaughtUp(), bep.Now().Add(-300*time.Millisecond); !c.Equal(want) {
		t.Fatalf("CaughtUp %v on a trail, want %v", c, want)
	}
	w.RunFor(time.Second)
	if n := len(b.got) - before; n < 90 {
		t.Fatalf("only %d messages read by the end of the trail, want ~100", n)
	}
	w.RunFor(time.Second)
	for i := 1; i < len(b.got); i++ {
		if b.got[i].seq < b.got[i-1].seq {
			t.Fatal("messages read behind a trail out of order")
		}
	}
	if c := bep.CaughtUp(); !c.Equal(bep.Now()) {
		t.Fatalf("CaughtUp %v after the trail, want now %v", c, bep.Now())
	}
	if d := w.ReadDelay("b", 2*time.Second); d != 300*time.Millisecond {
		t.Fatalf("ReadDelay %v over the trail, want 300ms", d)
	}
	if w.ReadDelay("b", 100*time.Millisecond) != 0 || w.Lagged("a", time.Hour) || !w.Lagged("b", time.Hour) {
		t.Fatal("ReadDelay or Lagged does not keep to the window asked")
	}
	if !w.Calm("a", "b", 500*time.Millisecond) {
		t.Fatal("a trail counted as a fault between the two")
	}
}

// A flooded node reads what comes at once, but CaughtUp stays behind.
func TestFloodReadsAtOnceButCatchesUpLate(t *testing.T) {
	w, bep, b := readerPair(t, 4)
	before := len(b.got)
	w.Flood("b", 400*time.Millisecond, time.Second)
	w.RunFor(500 * time.Millisecond)
	if n := len(b.got) - before; n < 45 {
		t.Fatalf("a flooded node read %d messages in 500 ms, want ~50", n)
	}
	if c, want := bep.CaughtUp(), bep.Now().Add(-400*time.Millisecond); !c.Equal(want) {
		t.Fatalf("CaughtUp %v in a flood, want %v", c, want)
	}
	if w.Lagged("b", time.Hour) {
		t.Fatal("a flood counted as late reads")
	}
	w.RunFor(time.Second)
	if c := bep.CaughtUp(); !c.Equal(bep.Now()) {
		t.Fatalf("CaughtUp %v after the flood, want now %v", c, bep.Now())
	}
}
