package main

import (
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// fakeSlow is what BENCH_FAKE_SLOW asks of a fake host: report on stderr
// every reply it flushed later than this after reading the command that
// asked for it, and every command connection that went this long without
// a command (a sentinel PINGs each instance every quarter of down-after).
// It tells the two halves of a silent link apart: a fake host slow to
// answer, or a sentinel slow to ask. Off (0) unless set; at most
// fakeSlowLines lines per host and second (a stall delays thousands of
// replies at once), with a count of those left out.
type fakeSlow struct {
	limit time.Duration
	mu    sync.Mutex
	sec   int64 // the second the lines are counted in
	lines int   // printed in it
	left  int   // left out in it
}

const fakeSlowLines = 10

func newFakeSlow() *fakeSlow {
	d, err := time.ParseDuration(os.Getenv("BENCH_FAKE_SLOW"))
	if err != nil || d <= 0 {
		return nil
	}
	return &fakeSlow{limit: d}
}

// reply reports a reply flushed late; asked is when the command was read,
// flushStart when the flush began (the difference is time spent running
// the command and waiting for the connection's lock).
func (s *fakeSlow) reply(port int, nc net.Conn, name string, asked, flushStart time.Time) {
	now := time.Now()
	if now.Sub(asked) > s.limit {
		s.printf("%s fake %d from %s: reply to %s flushed %v after it was read (flush itself %v)",
			now.Format("15:04:05.000"), port, nc.RemoteAddr(), name, now.Sub(asked).Round(time.Millisecond), now.Sub(flushStart).Round(time.Millisecond))
	}
}

// gap reports a command connection silent too long before this command.
func (s *fakeSlow) gap(port int, nc net.Conn, name string, prev, now time.Time) {
	if prev.IsZero() || now.Sub(prev) <= s.limit {
		return
	}
	s.printf("%s fake %d from %s: %s read %v after the command before it",
		now.Format("15:04:05.000"), port, nc.RemoteAddr(), name, now.Sub(prev).Round(time.Millisecond))
}

func (s *fakeSlow) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := time.Now().Unix(); sec != s.sec {
		if s.left > 0 {
			fmt.Fprintf(os.Stderr, "fake: %d more slow replies or silent links in the second before\n", s.left)
		}
		s.sec, s.lines, s.left = sec, 0, 0
	}
	if s.lines++; s.lines > fakeSlowLines {
		s.left++
		return
	}
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
