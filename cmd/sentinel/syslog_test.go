package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// TestSyslog: with syslog-enabled, each line the log takes also goes to
// syslog with the configured ident and facility and redis's level map
// (warning, notice, info for verbose, debug), and nothing under loglevel.
func TestSyslog(t *testing.T) {
	d, err := os.MkdirTemp("", "syslog") // short: a socket path
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(d)
	path := filepath.Join(d, "log")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f, err := sentinelconf.Parse("t.conf", []byte("syslog-enabled yes\nsyslog-ident qs-test\nsyslog-facility local3\nloglevel verbose\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Server
	if !s.SyslogEnabled {
		t.Fatal("syslog-enabled not read")
	}
	logger := newLogger(s, io.Discard, newSyslogSink("unixgram", path, s.SyslogIdent, s.SyslogFacility), logLevel(s))
	logger.Warn("a warning")
	logger.Info("a notice")
	logger.Debug("a verbose line")
	logger.Log(t.Context(), slog.LevelDebug-4, "a debug line, under loglevel")
	const local3 = 19 << 3
	want := []string{
		fmt.Sprintf("<%d>", local3+4), "qs-test[", "a warning",
		fmt.Sprintf("<%d>", local3+5), "qs-test[", "a notice",
		fmt.Sprintf("<%d>", local3+6), "qs-test[", "a verbose line",
	}
	var got []string
	buf := make([]byte, 2048)
	for len(got) < 4 {
		conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			break
		}
		got = append(got, string(buf[:n]))
	}
	if len(got) != 3 {
		t.Fatalf("got %d messages, want 3: %q", len(got), got)
	}
	for i, m := range got {
		for _, w := range want[3*i : 3*i+3] {
			if !strings.Contains(m, w) {
				t.Errorf("message %d %q lacks %q", i, m, w)
			}
		}
	}
}
