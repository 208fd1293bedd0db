package sentinel

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/glob"
	"github.com/qsentinel/qsentinel/redisnum"
)

// SENTINEL CONFIG GET and SET over the global parameters. The one-pair
// forms are redis-sentinel 7.0's; several patterns or pairs in one
// command, and the loglevel parameter, are redis 7.2's
// (sentinelConfigGetCommand / sentinelConfigSetCommand).

// configParams are the parameters a glob can match, in 7.0's reply order.
// loglevel is matched by its exact name only: 7.0's "CONFIG GET *" answer
// stays what it was.
var configParams = []string{"resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port", "sentinel-user", "sentinel-pass"}

// ConfigGet is SENTINEL CONFIG GET <pattern> [<pattern> ...]: every
// parameter matched by any pattern, once, in the order the patterns first
// match (7.2).
func (s *Sentinel) ConfigGet(patterns ...string) []Field {
	s.cfgMu.RLock()
	c := s.cfg
	s.cfgMu.RUnlock()
	value := func(name string) string {
		switch name {
		case "resolve-hostnames":
			return boolWord(c.ResolveHostnames)
		case "announce-hostnames":
			return boolWord(c.AnnounceHostnames)
		case "announce-ip":
			return c.AnnounceIP
		case "announce-port":
			return strconv.Itoa(c.AnnouncePort)
		case "sentinel-user":
			return c.SentinelUser
		case "sentinel-pass":
			return c.SentinelPass
		}
		return s.logLevelName()
	}
	seen := map[string]bool{}
	var out []Field
	for _, pat := range patterns {
		names := configParams
		if s.opts.LogLevel != nil && strings.EqualFold(pat, "loglevel") {
			names = []string{"loglevel"}
		}
		for _, n := range names {
			if !seen[n] && (n == "loglevel" || glob.MatchFold(pat, n)) {
				seen[n] = true
				out = append(out, Field{n, value(n)})
			}
		}
	}
	return out
}

// ConfigSet is SENTINEL CONFIG SET <param> <value> [<param> <value> ...]:
// every pair is checked (known, not repeated, has a value, valid) before
// any is applied, as redis 7.2 does, so a bad pair changes nothing.
func (s *Sentinel) ConfigSet(args ...string) error {
	type pair struct{ name, value string }
	var pairs []pair
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name := strings.ToLower(args[i])
		known := name == "announce-ip" || name == "sentinel-user" || name == "sentinel-pass" ||
			name == "resolve-hostnames" || name == "announce-port" || name == "announce-hostnames" ||
			name == "loglevel" && s.opts.LogLevel != nil
		if !known {
			return &ReplyError{fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", args[i])}
		}
		if seen[name] {
			return &ReplyError{fmt.Sprintf("ERR Duplicate argument '%s' to SENTINEL CONFIG SET", args[i])}
		}
		seen[name] = true
		if i+1 == len(args) {
			return &ReplyError{fmt.Sprintf("ERR Missing argument '%s' value", args[i])}
		}
		i++
		v := args[i]
		ok := true
		switch name {
		case "resolve-hostnames", "announce-hostnames":
			_, ok = yesNo(v)
		case "announce-port":
			n, isInt := redisnum.ParseInt(v)
			ok = isInt && n >= 0 && n <= 65535
		case "loglevel":
			_, ok = logLevelByName(v)
		}
		if !ok {
			return &ReplyError{fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", v, args[i-1])}
		}
		pairs = append(pairs, pair{name, v})
	}
	dropConns := false
	s.cfgMu.Lock()
	for _, p := range pairs {
		switch p.name {
		case "resolve-hostnames":
			s.cfg.ResolveHostnames, _ = yesNo(p.value)
		case "announce-hostnames":
			s.cfg.AnnounceHostnames, _ = yesNo(p.value)
		case "announce-ip":
			s.cfg.AnnounceIP = p.value
		case "announce-port":
			s.cfg.AnnouncePort, _ = strconv.Atoi(p.value)
		case "sentinel-user":
			s.cfg.SentinelUser = p.value
			dropConns = true
		case "sentinel-pass":
			s.cfg.SentinelPass = p.value
			dropConns = true
		case "loglevel":
			lvl, _ := logLevelByName(p.value)
			s.opts.LogLevel.Set(lvl)
			s.cfg.LogLevel = strings.ToLower(p.value)
		}
	}
	s.cfgMu.Unlock()
	err := s.FlushConfig()
	if dropConns {
		s.dropPeerConns()
	}
	return s.saveError(err)
}

// Log levels by redis's names; "nothing" logs nothing at all.
var logLevels = []struct {
	name  string
	level slog.Level
}{
	{"debug", slog.LevelDebug - 4},
	{"verbose", slog.LevelDebug},
	{"notice", slog.LevelInfo},
	{"warning", slog.LevelWarn},
	{"nothing", slog.Level(1 << 30)},
}

// LogLevelByName maps a redis loglevel name to the slog level we log at.
func LogLevelByName(name string) (slog.Level, bool) { return logLevelByName(name) }

func logLevelByName(name string) (slog.Level, bool) {
	for _, l := range logLevels {
		if strings.EqualFold(l.name, name) {
			return l.level, true
		}
	}
	return 0, false
}

func (s *Sentinel) logLevelName() string {
	lvl := s.opts.LogLevel.Level()
	name := "nothing"
	for _, l := range logLevels {
		if lvl <= l.level {
			return l.name
		}
	}
	return name
}
