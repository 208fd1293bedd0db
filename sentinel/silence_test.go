package sentinel

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// lines is a log the test reads while the sentinel writes it.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) grep(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, ln := range strings.Split(l.b.String(), "\n") {
		if strings.Contains(ln, s) {
			out = append(out, ln)
		}
	}
	return out
}

// attr is the value of key=value in a slog text line.
func attr(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// At loglevel verbose a +sdown comes with what it rested on; at notice
// (redis-sentinel's default) nothing more is logged.
func TestSDownLogsWhatItRestsOn(t *testing.T) {
	for _, verbose := range []bool{true, false} {
		t.Run("verbose="+strconv.FormatBool(verbose), func(t *testing.T) {
			net := redislink.NewFakeNet()
			m := Addr{Host: "127.0.0.1", Port: 6379}
			master := net.Add(m.String(), strings.Repeat("a", 40))
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			var log lines
			logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: level}))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := New(fastConfig(26379, m), Options{Dialer: net, Store: &memStore{}, Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			go s.Run(ctx)
			waitFor(t, "the master answering", 3*time.Second, func() bool {
				mv, _ := s.Master("mymaster")
				v, _ := mv.Get("last-ok-ping-reply")
				n, err := strconv.Atoi(v)
				return err == nil && n < 200
			})
			master.SetDown(true)
			waitFor(t, "+sdown", 3*time.Second, func() bool {
				mv, _ := s.Master("mymaster")
				return strings.HasPrefix(mv.Flags, "s_down")
			})
			got := log.grep("subjectively down")
			if !verbose {
				if len(got) != 0 {
					t.Fatalf("logged at notice: %q", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one line, got %q", got)
			}
			line := got[0]
			if attr(line, "instance") != m.String() || attr(line, "master") != "mymaster" {
				t.Fatalf("names another instance: %s", line)
			}
			silent, _ := strconv.Atoi(attr(line, "silent_ms"))
			if silent <= 300 || silent > 1500 {
				t.Fatalf("silent_ms %d, want past down-after (300 ms): %s", silent, line)
			}
			for _, k := range []string{"unanswered_ping_ms", "last_ping_ms", "read_lag_ms", "in_flight"} {
				if _, err := strconv.Atoi(attr(line, k)); err != nil {
					t.Fatalf("%s missing: %s", k, line)
				}
			}
			if attr(line, "connected") != "false" {
				t.Fatalf("a refusing master shown connected: %s", line)
			}
		})
	}
}
