package respserver

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sentinel"
)

// startServerLevel is startServer with a log level SENTINEL CONFIG can
// change, as the binary wires it.
func startServerLevel(t *testing.T, level *slog.LevelVar) string {
	t.Helper()
	fnet := redislink.NewFakeNet()
	m := sentinel.Addr{Host: "127.0.0.1", Port: 6379}
	fnet.Add(m.String(), strings.Repeat("a", 40))
	sc := sentinel.DefaultConfig()
	sc.Masters = []sentinel.MasterState{{MasterConfig: sentinel.MasterConfig{Name: "mymaster", Addr: m, Quorum: 2}}}
	logger := slog.New(slog.NewTextHandler(&strings.Builder{}, &slog.HandlerOptions{Level: level}))
	mon, err := sentinel.New(sc, sentinel.Options{Dialer: fnet, Store: nopStore{}, Logger: logger, LogLevel: level})
	if err != nil {
		t.Fatal(err)
	}
	_, addr := serve(t, Config{}, mon, func(ctx context.Context) { mon.Run(ctx) })
	return addr
}

type replyCase struct {
	args []string
	want string
}

func checkReplies(t *testing.T, c *rawConn, cases []replyCase) {
	t.Helper()
	for _, tc := range cases {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.args, got, tc.want)
		}
	}
}

// TestPrimaryAliases: Valkey 8's names answer as the 7.0 names do, with
// their own names in arity errors, and COMMAND keeps 7.0's table.
func TestPrimaryAliases(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	for _, pair := range [][2][]string{
		{{"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "mymaster"}, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}},
		{{"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME", "nosuch"}, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nosuch"}},
		{{"SENTINEL", "PRIMARY", "nosuch"}, {"SENTINEL", "MASTER", "nosuch"}},
		{{"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*"}, {"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "0", "*"}},
		{{"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}, {"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"}},
		{{"SENTINEL", "SET", "mymaster", "primary-reboot-down-after-period", "x"}, {"SENTINEL", "SET", "mymaster", "master-reboot-down-after-period", "x"}},
		{{"SENTINEL", "SET", "mymaster", "primary-reboot-down-after-period", "1000"}, {"SENTINEL", "SET", "mymaster", "master-reboot-down-after-period", "1000"}},
	} {
		got, want := c.do(pair[0]...), c.do(pair[1]...)
		if strings.Contains(pair[0][1], "SET") {
			// The option is named as given.
			want = strings.ReplaceAll(want, "master-reboot", "primary-reboot")
		}
		if got != want {
			t.Errorf("%q = %q, want %q as for %q", pair[0], got, want, pair[1])
		}
	}
	// MASTERS and MASTER carry timers: compare them without digits.
	noDigits := func(r string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, r)
	}
	for _, pair := range [][2][]string{
		{{"SENTINEL", "PRIMARIES"}, {"SENTINEL", "MASTERS"}},
		{{"SENTINEL", "PRIMARY", "mymaster"}, {"SENTINEL", "MASTER", "mymaster"}},
	} {
		got, want := noDigits(c.do(pair[0]...)), noDigits(c.do(pair[1]...))
		if got != want || !strings.Contains(got, "mymaster") {
			t.Errorf("%q = %q, want %q", pair[0], got, want)
		}
	}
	if got, want := c.do("COMMAND", "INFO", "sentinel|primary"), c.do("COMMAND", "INFO", "nosuch"); got != want {
		t.Errorf("COMMAND INFO sentinel|primary = %q, want %q as for an unknown name", got, want)
	}
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "PRIMARY"}, "-ERR wrong number of arguments for 'sentinel|primary' command\r\n"},
		{[]string{"SENTINEL", "PRIMARIES", "x"}, "-ERR wrong number of arguments for 'sentinel|primaries' command\r\n"},
		{[]string{"SENTINEL", "GET-PRIMARY-ADDR-BY-NAME"}, "-ERR wrong number of arguments for 'sentinel|get-primary-addr-by-name' command\r\n"},
		{[]string{"SENTINEL", "IS-PRIMARY-DOWN-BY-ADDR", "a"}, "-ERR wrong number of arguments for 'sentinel|is-primary-down-by-addr' command\r\n"},
	})
}

// TestControlCharsRefused: SENTINEL MONITOR, SET and CONFIG SET refuse
// control characters with Valkey's text and argument index.
func TestControlCharsRefused(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "SET", "mymaster", "notification-script", "a\x01b"}, "-ERR Invalid argument at index 4 for SENTINEL SET: control characters are not allowed\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "quo\x7frum", "2"}, "-ERR Invalid argument at index 3 for SENTINEL SET: control characters are not allowed\r\n"},
		{[]string{"SENTINEL", "SET", "nosuch", "quorum", "\x01"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a\tb", "127.0.0.1", "6380", "1"}, "-ERR Invalid argument at index 2 for SENTINEL MONITOR: control characters are not allowed\r\n"},
		// 7.0 has an answer for a quorum that is not a number: it stays.
		{[]string{"SENTINEL", "MONITOR", "ab", "127.0.0.1", "6380", "1\n"}, "-ERR Invalid quorum\r\n"},
		{[]string{"SENTINEL", "MONITOR", "a\tb", "127.0.0.1", "6380", "0"}, "-ERR Quorum must be 1 or greater.\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "1.2.3.4\x00"}, "-ERR Invalid argument at index 4 for SENTINEL CONFIG SET: control characters are not allowed\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "announce-ip"}, "*2\r\n$11\r\nannounce-ip\r\n$0\r\n\r\n"},
	})
}

// TestConfigMulti: several patterns or pairs in one SENTINEL CONFIG
// command, checked in full before anything is applied (redis 7.2), and
// loglevel, which changes the level we log at.
func TestConfigMulti(t *testing.T) {
	level := new(slog.LevelVar)
	c := dial(t, startServerLevel(t, level))
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "1.2.3.4", "announce-port", "7000"}, "+OK\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "announce-port", "announce-*", "announce-ip"},
			"*6\r\n$13\r\nannounce-port\r\n$4\r\n7000\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n$11\r\nannounce-ip\r\n$7\r\n1.2.3.4\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "9.9.9.9", "announce-port", "99999"}, "-ERR Invalid value '99999' to SENTINEL CONFIG SET 'announce-port'\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "9.9.9.9", "ANNOUNCE-IP", "8.8.8.8"}, "-ERR Duplicate argument 'ANNOUNCE-IP' to SENTINEL CONFIG SET\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "9.9.9.9", "announce-port"}, "-ERR Missing argument 'announce-port' value\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "announce-ip", "9.9.9.9", "nosuch", "1"}, "-ERR Invalid argument 'nosuch' to SENTINEL CONFIG SET\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "announce-ip"}, "*2\r\n$11\r\nannounce-ip\r\n$7\r\n1.2.3.4\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "loglevel", "loud"}, "-ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "loglevel"}, "*2\r\n$8\r\nloglevel\r\n$6\r\nnotice\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "loglevel", "WARNING"}, "+OK\r\n"},
		{[]string{"SENTINEL", "CONFIG", "GET", "LOGLEVEL"}, "*2\r\n$8\r\nloglevel\r\n$7\r\nwarning\r\n"},
		{[]string{"SENTINEL", "CONFIG", "SET", "loglevel"}, "-ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.\r\n"},
	})
	if level.Level() != slog.LevelWarn {
		t.Errorf("log level %v after CONFIG SET loglevel warning", level.Level())
	}
	// 7.0's CONFIG GET * answer is unchanged: loglevel only by its name.
	if got := c.do("SENTINEL", "CONFIG", "GET", "*"); strings.Contains(got, "loglevel") || !strings.HasPrefix(got, "*12\r\n") {
		t.Errorf("CONFIG GET * = %q", got)
	}
}

// TestFailoverCoordinatedReplies: SENTINEL FAILOVER <name> COORDINATED
// answers as Valkey 9 does before it starts anything; every other form
// answers as 7.0 does.
func TestFailoverCoordinatedReplies(t *testing.T) {
	_, addr := startServer(t, Config{})
	c := dial(t, addr)
	// The fake master's INFO has no master_failover_state: no FAILOVER.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.do("SENTINEL", "MASTER", "mymaster"), "role-reported\r\n$6\r\nmaster") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "FAILOVER", "mymaster", "COORDINATED"}, "-NOGOODPRIMARY Primary does not support FAILOVER command\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "mymaster", "coordinated"}, "-NOGOODPRIMARY Primary does not support FAILOVER command\r\n"},
		// A fourth argument other than COORDINATED keeps 7.0's answer
		// (Valkey 9 says "Unknown failover option specified").
		{[]string{"SENTINEL", "FAILOVER", "mymaster", "FOO"}, "-ERR wrong number of arguments for 'sentinel|failover' command\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "nosuch", "FOO"}, "-ERR wrong number of arguments for 'sentinel|failover' command\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "mymaster", "COORDINATED", "x"}, "-ERR wrong number of arguments for 'sentinel|failover' command\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "mymaster"}, "-NOGOODSLAVE No suitable replica to promote\r\n"},
	})
}
