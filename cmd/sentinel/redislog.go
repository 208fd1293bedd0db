package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// redisHandler writes records as redis-sentinel writes its log lines
// (serverLogRaw), so that parsers and greps built for them keep working:
//
//	<pid>:X <dd Mon yyyy hh:mm:ss.mmm> <c> <message>
//
// in local time, c being '.', '-', '*' or '#' for debug, verbose, notice
// and warning (errors are warnings: redis has no higher level). A
// record's attributes follow the message as key=value, quoted as slog's
// text handler quotes them, except for an event's line, whose message is
// already redis's whole line (its event and master attributes repeat it).
type redisHandler struct {
	mu    *sync.Mutex // one line at a time, across the handler's clones
	w     io.Writer
	level slog.Leveler
	pid   int
	pre   string // attributes from WithAttrs, rendered
	group string // prefix from WithGroup, with its trailing dot
}

func newRedisHandler(w io.Writer, level slog.Leveler, pid int) *redisHandler {
	if level == nil {
		level = slog.LevelInfo
	}
	return &redisHandler{mu: &sync.Mutex{}, w: w, level: level, pid: pid}
}

func (h *redisHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// redisLevelChar is serverLogRaw's c[level].
func redisLevelChar(l slog.Level) byte {
	switch {
	case l < slog.LevelDebug:
		return '.'
	case l < slog.LevelInfo:
		return '-'
	case l < slog.LevelWarn:
		return '*'
	default:
		return '#'
	}
}

func (h *redisHandler) Handle(_ context.Context, r slog.Record) error {
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d:X %s %c %s", h.pid, t.Local().Format("02 Jan 2006 15:04:05.000"), redisLevelChar(r.Level), r.Message)
	if !isEventLine(r) {
		b.WriteString(h.pre)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.group, a)
			return true
		})
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// isEventLine: the event bus logs an event's redis text as the message,
// with its kind as the "event" attribute.
func isEventLine(r slog.Record) bool {
	event := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			k := a.Value.String()
			event = k != "" && strings.HasPrefix(r.Message, k)
			return false
		}
		return true
	})
	return event
}

func (h *redisHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	for _, a := range as {
		appendAttr(&b, h.group, a)
	}
	c.pre += b.String()
	return &c
}

func (h *redisHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group += name + "."
	return &c
}

// appendAttr writes " key=value", groups flattened with dots.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			appendAttr(b, p, g)
		}
		return
	}
	b.WriteByte(' ')
	b.WriteString(quoteIfNeeded(prefix + a.Key))
	b.WriteByte('=')
	var v string
	switch a.Value.Kind() {
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339Nano)
	default:
		v = a.Value.String()
	}
	b.WriteString(quoteIfNeeded(v))
}

// quoteIfNeeded quotes as slog's text handler does: empty strings, and
// strings with spaces, quotes, '=' or unprintable characters.
func quoteIfNeeded(s string) string {
	if s == "" {
		return `""`
	}
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '=' || !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
