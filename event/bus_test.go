package event

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestBusDeliversLogsAndCountsDrops(t *testing.T) {
	var log bytes.Buffer
	b := NewBus(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug - 4})))
	fast, slow := b.Subscribe(4), b.Subscribe(1)
	defer fast.Close()
	e := Event{Level: LevelWarning, Kind: SwitchMaster, Master: "m", From: Addr{"::1", 1}, To: Addr{"::2", 2}}
	b.Publish(e)
	b.Publish(e)
	got := <-fast.C
	if got.Time.IsZero() {
		t.Fatal("Publish left the time zero")
	}
	got.Time = e.Time
	if *got != e {
		t.Fatalf("delivered %+v, want %+v", *got, e)
	}
	if len(slow.C) != 1 || b.Dropped() != 1 {
		t.Fatalf("slow subscriber has %d events, dropped %d; want 1 and 1", len(slow.C), b.Dropped())
	}
	if !strings.Contains(log.String(), `level=WARN msg="+switch-master m ::1 1 ::2 2" event=+switch-master master=m`) {
		t.Fatalf("log line: %s", log.String())
	}
	slow.Close()
	slow.Close() // twice is fine
	if _, ok := <-slow.C; !ok {
		t.Fatal("buffered event lost at Close")
	}
	if _, ok := <-slow.C; ok {
		t.Fatal("channel open after Close")
	}
}
