package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// gateWriter records every Write and, while gated, holds each one until
// the test opens the gate: a log file on a slow disk.
type gateWriter struct {
	mu      sync.Mutex
	writes  []string
	gate    chan struct{} // nil: never held
	entered chan struct{} // one send per Write that reached the gate
}

func (g *gateWriter) Write(p []byte) (int, error) {
	if g.gate != nil {
		g.entered <- struct{}{}
		<-g.gate
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writes = append(g.writes, string(p))
	return len(p), nil
}

func (g *gateWriter) all() (string, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.writes, ""), len(g.writes)
}

// stuckBatch is a batch writing behind the caller whose drain is inside
// its first write, of first, held until the test closes w.gate.
func stuckBatch(first string) (*gateWriter, *logBatch) {
	w := &gateWriter{gate: make(chan struct{}), entered: make(chan struct{}, 16)}
	b := newLogBatch(w)
	b.Async(true)
	b.Write([]byte(first))
	<-w.entered
	return w, b
}

// Before Async(true) and after Async(false) a line is written before
// Write returns: a failed start and a stop's last lines are on disk when
// the process exits.
func TestLogBatchSyncWritesAtOnce(t *testing.T) {
	w := &gateWriter{}
	b := newLogBatch(w)
	b.Write([]byte("a\n"))
	if got, _ := w.all(); got != "a\n" {
		t.Fatalf("before Async: %q", got)
	}
	b.Async(true)
	b.Write([]byte("b\n"))
	b.Async(false)
	b.Write([]byte("c\n"))
	if got, _ := w.all(); got != "a\nb\nc\n" {
		t.Fatalf("after Async(false): %q", got)
	}
}

// Lines logged while the writer is busy go out together in its next
// write, in order: a burst of a thousand event lines costs a few log
// writes, not a thousand.
func TestLogBatchGathersWhileTheWriterIsBusy(t *testing.T) {
	w, b := stuckBatch("line 0\n")
	var want bytes.Buffer
	want.WriteString("line 0\n")
	for k := 1; k <= 1000; k++ {
		line := fmt.Sprintf("line %d\n", k)
		want.WriteString(line)
		if n, err := b.Write([]byte(line)); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	close(w.gate) // the disk catches up
	b.Async(false)
	got, writes := w.all()
	if got != want.String() {
		t.Fatalf("lines out of order or lost:\n%.200q", got)
	}
	if writes != 2 {
		t.Fatalf("1,001 lines in %d writes, want 2 (one in progress, then everything that gathered meanwhile)", writes)
	}
}

// What waits for the writer is bounded: beyond logBatchMax a caller waits
// until the writer has taken what gathered.
func TestLogBatchBoundsWhatWaits(t *testing.T) {
	w, b := stuckBatch("first\n")
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for k := 0; k < logBatchMax/len(line); k++ {
		b.Write(line)
	}
	returned := make(chan struct{})
	go func() {
		b.Write(line) // over the bound: waits
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("a Write beyond logBatchMax returned while the writer was stuck")
	case <-time.After(50 * time.Millisecond):
	}
	close(w.gate)
	<-returned
	b.Async(false)
	got, _ := w.all()
	if want := 6 + (logBatchMax/len(line)+1)*len(line); len(got) != want {
		t.Fatalf("wrote %d bytes, want %d", len(got), want)
	}
}

// Many goroutines logging at once: every line out once, each goroutine's
// lines in its order.
func TestLogBatchConcurrentWriters(t *testing.T) {
	w := &gateWriter{}
	b := newLogBatch(w)
	b.Async(true)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 500; k++ {
				b.Write([]byte(fmt.Sprintf("%d %d\n", g, k)))
			}
		}()
	}
	wg.Wait()
	b.Async(false)
	got, _ := w.all()
	next := make([]int, 8)
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	for _, l := range lines {
		var g, k int
		if _, err := fmt.Sscanf(l, "%d %d", &g, &k); err != nil || k != next[g] {
			t.Fatalf("line %q out of order (want %d next for %d)", l, next[g], g)
		}
		next[g]++
	}
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
}
