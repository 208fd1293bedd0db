package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The lines have redis-sentinel's shape ("3136:X 30 Nov 2026
// 02:47:23.009 # Sentinel ID is ...", as redis-sentinel 7.0.15 wrote
// here), with redis's level characters; other lines keep their
// attributes, an event's line is redis's text alone.
func TestRedisLogFormat(t *testing.T) {
	var buf bytes.Buffer
	level := new(slog.LevelVar)
	level.Set(slog.LevelDebug - 4)
	l := slog.New(newRedisHandler(&buf, level, 3136))
	l.Warn("Sentinel ID is dd88b2c7cc7a8225ad7f03164342589c782ed987")
	l.Log(context.Background(), slog.LevelWarn, "+monitor master mymaster 127.0.0.1 6390 quorum 2", "event", "+monitor", "master", "mymaster")
	l.Info("Sentinel new configuration saved on disk")
	l.Debug("verbose line")
	l.Log(context.Background(), slog.LevelDebug-4, "debug line")
	l.Error("hook failed, given up", "command", "/bin/x +sdown", "err", errors.New("exit status 1"), "attempt", 3)
	l.With("a", "b").WithGroup("g").Info("grouped", "k", "v w")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	shape := regexp.MustCompile(`^3136:X \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] `)
	for _, line := range lines {
		if !shape.MatchString(line) {
			t.Errorf("not redis's shape: %q", line)
		}
	}
	want := []string{
		"# Sentinel ID is dd88b2c7cc7a8225ad7f03164342589c782ed987",
		"# +monitor master mymaster 127.0.0.1 6390 quorum 2",
		"* Sentinel new configuration saved on disk",
		"- verbose line",
		". debug line",
		`# hook failed, given up command="/bin/x +sdown" err="exit status 1" attempt=3`,
		`* grouped a=b g.k="v w"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	for i, w := range want {
		if got := shape.ReplaceAllString(lines[i], ""); got != w[2:] || lines[i][len(shape.FindString(lines[i]))-2] != w[0] {
			t.Errorf("line %d: %q, want %q", i, lines[i], w)
		}
	}
	// The time is local time with milliseconds, as strftime's.
	now := time.Now()
	if !strings.Contains(lines[0], now.Format("02 Jan 2006")) && !strings.Contains(lines[0], now.Add(-time.Minute).Format("02 Jan 2006")) {
		t.Errorf("date: %q", lines[0])
	}
}
