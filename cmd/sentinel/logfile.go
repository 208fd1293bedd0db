package main

import (
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sentinelconf"
	"github.com/qsentinel/qsentinel/strerror"
)

// logFile appends every write to the file at path, opening and closing it
// each time as redis's serverLogRaw does. Holding no descriptor is what
// makes log rotation work without a signal: once logrotate has moved the
// file away, the next line creates a new one at path.
//
// A crash (an unrecovered panic, a fatal runtime error) is written to the
// log too, as redis writes its crash report there: the runtime's crash
// output follows the file at path, re-pointed whenever a write finds a new
// file there.
type logFile struct {
	mu    sync.Mutex // lines from several goroutines never interleave
	path  string
	crash uint64 // inode the crash output goes to (0: none yet)
}

// Write appends b (one slog record) to the file.
func (l *logFile) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// 0666 as fopen(..., "a") creates it; the umask (UMask= in a unit)
	// decides the rest.
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return 0, err
	}
	// The crash output is re-pointed before the line is written: whoever
	// sees the line in the new file (logrotate's postrotate, a test that
	// then sends SIGQUIT) knows a crash goes there too. Written first,
	// a crash between the write and the re-pointing went to the old file.
	if st, serr := f.Stat(); serr == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Ino != l.crash {
			// SetCrashOutput keeps its own descriptor; ours closes.
			if debug.SetCrashOutput(f, debug.CrashOptions{}) == nil {
				l.crash = sys.Ino
			}
		}
	}
	n, err := f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// teeWriter writes to the log and to a second writer (stderr), for the
// reason a start failed: the log is where an operator looks, stderr is
// what a supervisor's journal keeps.
type teeWriter struct {
	log, also io.Writer
}

func (t teeWriter) Write(b []byte) (int, error) {
	n, err := t.log.Write(b)
	if t.also != nil && t.also != t.log {
		t.also.Write(b) //nolint:errcheck // best effort: the log has it
	}
	return n, err
}

// logOutput is where the log goes: the logfile, or stdout when none is
// set (as redis: serverLogRaw writes to stdout). Like redis, an unusable logfile stops the start ("Can't open the
// log file"); the check creates the file, as redis's does.
// The error is a *sentinelconf.ConfigError without a line, printed in
// redis's FATAL CONFIG FILE ERROR form.
func logOutput(s sentinelconf.Server, stdout io.Writer) (io.Writer, error) {
	if s.Logfile == "" {
		return stdout, nil
	}
	f, err := os.OpenFile(s.Logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return nil, &sentinelconf.ConfigError{File: s.Logfile, Reason: "Can't open the log file: " + strerror.Text(err)}
	}
	f.Close()
	return &logFile{path: s.Logfile}, nil
}

// newLogger logs to w at redis's loglevel, in redis-sentinel's line format
// or slog's text or JSON, and to sys too when not nil (syslog-enabled).
func newLogger(s sentinelconf.Server, w io.Writer, sys *syslogSink, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(s.LogFormat) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default: // "redis", the .conf form's default
		h = newRedisHandler(w, level, os.Getpid())
	}
	if sys != nil {
		h = syslogHandler{h, sys}
	}
	return slog.New(h)
}

// logLevel is redis's loglevel as a slog level that SENTINEL CONFIG SET
// loglevel can change while we run.
func logLevel(s sentinelconf.Server) *slog.LevelVar {
	level := new(slog.LevelVar)
	if l, ok := sentinel.LogLevelByName(s.Loglevel); ok {
		level.Set(l)
	}
	return level
}
