package sentinel

import (
	"context"
	"log/slog"
)

// logSilence logs, at loglevel verbose, what an instance's +sdown rested
// on: how long it had been silent, its oldest unanswered PING and last
// PING, how far behind our reading of replies was, and its link. An
// operator asking why a live instance was judged down (or a benchmark
// asking whether a reply or a PING was late) needs all of it, and
// redis-sentinel's +sdown line says none of it.
func (g *group) logSilence(ctx context.Context, i *instance) {
	if !g.s.logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	now := g.s.clock.Now()
	sl := g.m.SilenceOf(i.Node, now)
	attrs := []slog.Attr{
		slog.String("master", g.name),
		slog.String("instance", i.Addr.String()),
		slog.Int64("silent_ms", sl.Silent.Milliseconds()),
		slog.Int64("unanswered_ping_ms", sl.Unanswered.Milliseconds()),
		slog.Int64("last_ping_ms", sl.SincePing.Milliseconds()),
		slog.Int64("read_lag_ms", sl.ReadLag.Milliseconds()),
		slog.Bool("connected", i.conn != nil && !i.Disconnected),
		slog.Int("in_flight", i.pending),
	}
	if i.connectedAt != 0 {
		attrs = append(attrs, slog.Int64("link_age_ms", now.Sub(i.At(i.connectedAt)).Milliseconds()))
	}
	g.s.logger.LogAttrs(ctx, slog.LevelDebug, "subjectively down: what it rests on", attrs...)
}
