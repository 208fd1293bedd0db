package main

import (
	"context"
	"log/slog"
	"log/syslog"
	"sync"
)

// syslogFacilities maps syslog-facility's values.
var syslogFacilities = map[string]syslog.Priority{
	"user": syslog.LOG_USER, "local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1,
	"local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4,
	"local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// syslogSink sends messages to syslog. Like openlog/syslog(3) it never
// fails the caller: without a syslog daemon a message is lost, and the
// next one tries to connect again.
type syslogSink struct {
	mu   sync.Mutex
	dial func() (*syslog.Writer, error)
	w    *syslog.Writer
}

// newSyslogSink logs as ident with facility to the local syslog daemon
// (network and raddr empty) or to raddr.
func newSyslogSink(network, raddr, ident, facility string) *syslogSink {
	prio := syslogFacilities[facility] | syslog.LOG_NOTICE
	return &syslogSink{dial: func() (*syslog.Writer, error) { return syslog.Dial(network, raddr, prio, ident) }}
}

// send logs msg with the syslog level of level, as serverLogRaw's
// syslogLevelMap: debug, verbose (info), notice, warning.
func (s *syslogSink) send(level slog.Level, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		w, err := s.dial()
		if err != nil {
			return
		}
		s.w = w
	}
	var err error
	switch {
	case level < slog.LevelDebug:
		err = s.w.Debug(msg)
	case level < slog.LevelInfo:
		err = s.w.Info(msg)
	case level < slog.LevelWarn:
		err = s.w.Notice(msg)
	default:
		err = s.w.Warning(msg)
	}
	if err != nil {
		s.w.Close()
		s.w = nil
	}
}

// syslogHandler passes records on to the log and their message to
// syslog, for syslog-enabled yes. Only records the log takes go to syslog:
// redis filters by loglevel before either.
type syslogHandler struct {
	slog.Handler
	sink *syslogSink
}

func (h syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.sink.send(r.Level, r.Message)
	return h.Handler.Handle(ctx, r)
}

func (h syslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return syslogHandler{h.Handler.WithAttrs(attrs), h.sink}
}

func (h syslogHandler) WithGroup(name string) slog.Handler {
	return syslogHandler{h.Handler.WithGroup(name), h.sink}
}
