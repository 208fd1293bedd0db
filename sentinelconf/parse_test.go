package sentinelconf

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
)

func TestParseRedisRewritten(t *testing.T) {
	f, err := ParseFile("testdata/redis-rewritten.conf")
	if err != nil {
		t.Fatal(err)
	}
	s := f.Server
	if s.Port != 26379 || s.Dir != "/tmp" || s.Pidfile != "/var/run/redis-sentinel.pid" || s.ProtectedMode {
		t.Errorf("server = %+v", s)
	}
	if !reflect.DeepEqual(s.Users, []string{"default on nopass ~* &* +@all"}) {
		t.Errorf("users = %q", s.Users)
	}
	c := f.Sentinel
	if c.MyID != "7a9bc3e2c1c0e0ee4f1b4c1b9c2a1d0e3f4a5b6c" || c.CurrentEpoch != 3 || !c.DenyScriptsReconfig {
		t.Errorf("sentinel = %+v", c)
	}
	if len(c.Masters) != 1 {
		t.Fatalf("masters = %+v", c.Masters)
	}
	m := c.Masters[0]
	if m.Name != "mymaster" || m.Addr != (sentinel.Addr{Host: "127.0.0.1", Port: 6379}) || m.Quorum != 2 ||
		m.DownAfter != 5*time.Second || m.FailoverTimeout != time.Minute || m.ConfigEpoch != 3 || m.LeaderEpoch != 3 {
		t.Errorf("master = %+v", m)
	}
	if len(m.KnownReplicas) != 2 || len(m.KnownSentinels) != 2 || m.KnownSentinels[1].RunID != "9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c" {
		t.Errorf("known = %+v %+v", m.KnownReplicas, m.KnownSentinels)
	}
}

func TestParseRealistic(t *testing.T) {
	script := filepath.Join(t.TempDir(), "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := `# comment
  PORT 26380
bind 127.0.0.1 ::1
loglevel WARNING
requirepass "s3cr\x21t"
protected-mode yes
save ""
appendonly no
maxmemory 1gb
enable-debug-command local
repl-diskless-sync-delay 5
tls-port 0
sentinel
SENTINEL known-replica m2 10.0.0.2 6379
sentinel monitor m1 10.0.0.1 6379 2
sentinel monitor m2 10.0.0.2 6380 1
sentinel auth-pass m1 "pa ss"
sentinel auth-user m1 app
sentinel parallel-syncs m1 3
sentinel rename-command m1 CONFIG XCONFIG
sentinel notification-script m1 ` + script + `
sentinel master-reboot-down-after-period m1 1000
sentinel announce-ip 1.2.3.4
sentinel announce-port 26999
sentinel deny-scripts-reconfig no
sentinel sentinel-user su
sentinel sentinel-pass sp
sentinel known-sentinel m2 10.0.0.9 26379
`
	f, err := Parse("x.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Port != 26380 || f.Sentinel.Port != 26380 || f.Server.Loglevel != "warning" ||
		f.Server.RequirePass != "s3cr!t" || !f.Server.ProtectedMode || !reflect.DeepEqual(f.Server.Bind, []string{"127.0.0.1", "::1"}) {
		t.Errorf("server = %+v", f.Server)
	}
	c := f.Sentinel
	m1, m2 := c.Masters[0], c.Masters[1]
	if m1.AuthPass != "pa ss" || m1.AuthUser != "app" || m1.ParallelSyncs != 3 || m1.NotificationScript != script ||
		m1.RebootDownAfter != time.Second || len(m1.RenameCommands) != 1 {
		t.Errorf("m1 = %+v", m1)
	}
	// known-replica came before its monitor line: redis 7.0 queues
	// sentinel lines and applies monitors first, so that is fine.
	if len(m2.KnownReplicas) != 1 || len(m2.KnownSentinels) != 0 {
		t.Errorf("m2 = %+v", m2)
	}
	if c.AnnounceIP != "1.2.3.4" || c.AnnouncePort != 26999 || c.DenyScriptsReconfig || c.SentinelUser != "su" || c.SentinelPass != "sp" {
		t.Errorf("sentinel = %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		conf   string
		line   int
		reason string
	}{
		{"port 1\nfoobar 1\n", 2, "Bad directive or wrong number of arguments"},
		{"# c\n\nport \"123\n", 3, "Unbalanced quotes in configuration line"},
		{"port abc", 1, "argument couldn't be parsed into an integer"},
		{"port 70000", 1, "argument must be between 0 and 65535 inclusive"},
		{"port 1 2", 1, "wrong number of arguments"},
		{"loglevel loud", 1, "argument(s) must be one of the following: debug, verbose, notice, warning"},
		{"protected-mode maybe", 1, "argument must be 'yes' or 'no'"},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel monitor x", 2, "Unrecognized sentinel configuration statement."},
		{"sentinel bogus 1", 1, "Unrecognized sentinel configuration statement."},
		{"sentinel monitor m 1.2.3.4 6379 0", 1, "Quorum must be 1 or greater."},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel monitor m 1.2.3.5 6379 2", 2, "Duplicate master name."},
		{"sentinel monitor m localhost 6379 2", 1, "Can't resolve instance hostname."},
		{"sentinel monitor m 1.2.3.4 99999 2", 1, "Invalid port number."},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel known-replica x 1.2.3.5 6379", 2, "No such master with specified name."},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel down-after-milliseconds m 0", 2, "negative or zero time parameter."},
		{"sentinel myid abc", 1, "Malformed Sentinel id in myid option."},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel known-replica m 1.1.1.1 1\nsentinel known-replica m 1.1.1.1 1", 3, "Duplicate hostname and port for replica."},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel notification-script m /nonexistent", 2, "Notification script seems non existing or non executable."},
		{"sentinel resolve-hostnames maybe", 1, "Please specify yes or no for the resolve-hostnames option."},
		// A sentinel error is reported only after every other line passed.
		{"sentinel foo\nbar", 2, "Bad directive or wrong number of arguments"},
		// Validate errors point at the line.
		{"sentinel myid zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", 1, `myid: "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz" is not 40 hex characters`},
		{"sentinel monitor m 1.2.3.4 6379 2\nsentinel parallel-syncs m -1", 2, "master m: negative setting"},
	}
	for _, c := range cases {
		_, err := Parse("t.conf", []byte(c.conf))
		var ce *ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%q: err = %v, want ConfigError", c.conf, err)
			continue
		}
		if ce.Line != c.line || ce.Reason != c.reason || ce.File != "t.conf" {
			t.Errorf("%q: got line %d %q, want line %d %q", c.conf, ce.Line, ce.Reason, c.line, c.reason)
		}
	}
}

func TestRedisFormat(t *testing.T) {
	_, err := Parse("t.conf", []byte("port 1\n\n  foobar 1\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatal(err)
	}
	want := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n" +
		"Reading the configuration file, at line 3\n" +
		">>> 'foobar 1'\n" +
		"Bad directive or wrong number of arguments\n"
	if got := ce.RedisFormat(); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if !strings.Contains(ce.Error(), "t.conf:3") {
		t.Errorf("Error() = %q", ce.Error())
	}
}

func TestApplyArgs(t *testing.T) {
	f, err := Parse("t.conf", []byte("port 26379\nsentinel monitor m 1.2.3.4 6379 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ApplyArgs(f, []string{"--port", "26380", "--loglevel", "warning", "--sentinel", "--bind", "127.0.0.1 ::1", "--sentinel monitor", "n", "1.2.3.5", "6379", "1"}); err != nil {
		t.Fatal(err)
	}
	if f.Server.Port != 26380 || f.Sentinel.Port != 26380 || f.Server.Loglevel != "warning" ||
		!reflect.DeepEqual(f.Server.Bind, []string{"127.0.0.1", "::1"}) || len(f.Sentinel.Masters) != 2 {
		t.Errorf("after args: %+v %+v", f.Server, f.Sentinel.Masters)
	}
	if len(f.Lines) != 3 {
		t.Errorf("file lines changed: %q", f.Lines)
	}
	err = ApplyArgs(f, []string{"--foobar", "1"})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Line != 4 || ce.Text != `foobar "1"` {
		t.Errorf("bad option: %v", err)
	}
}
