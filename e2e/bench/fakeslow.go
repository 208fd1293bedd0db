package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

// fakeSlow is what BENCH_FAKE_SLOW asks of a fake host: report on stderr
// every reply that may have gone out later than this after its command
// came, and every command connection that went this long without a
// command (a sentinel PINGs each instance every quarter of down-after).
// It tells the two halves of a silent link apart: a fake host slow to
// answer, or a sentinel slow to ask. Off (0) unless set; at most
// fakeSlowLines lines per host and second (a stall delays thousands of
// replies at once), with a count of those left out. It is used on the
// host's loop goroutine only.
type fakeSlow struct {
	limit time.Duration
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

// reply reports a late reply to a batch of commands (name: the first)
// read at read and written now. On the loop the write itself follows the
// read at once; the lateness that matters is the loop's, busy with other
// connections while this one's command sat in its socket. That wait is
// not seen directly, but it is at most read - caughtUp: by caughtUp the
// loop had read everything that had come (eventloop's CaughtUp). On a
// busy host, the case in question, that bound is close; on a host idle
// for longer than the limit it is as long as the idle time, since a
// process kept off the CPU and one with nothing to read look the same
// from inside.
func (s *fakeSlow) reply(port int, remote net.Addr, name string, read, caughtUp time.Time) {
	now := time.Now()
	var unread time.Duration
	if !caughtUp.IsZero() {
		unread = read.Sub(caughtUp)
	}
	if now.Sub(read) <= s.limit && unread <= s.limit {
		return
	}
	s.printf("%s fake %d from %s: reply to %s written %v after it was read, which was up to %v after it came",
		now.Format("15:04:05.000"), port, remote, name, now.Sub(read).Round(time.Millisecond), unread.Round(time.Millisecond))
}

// gap reports a command connection silent too long before this command.
func (s *fakeSlow) gap(port int, remote net.Addr, name string, prev, now time.Time) {
	if prev.IsZero() || now.Sub(prev) <= s.limit {
		return
	}
	s.printf("%s fake %d from %s: %s read %v after the command before it",
		now.Format("15:04:05.000"), port, remote, name, now.Sub(prev).Round(time.Millisecond))
}

func (s *fakeSlow) printf(format string, args ...any) {
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
