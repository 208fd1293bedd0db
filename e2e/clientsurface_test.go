package e2e

import (
	"bytes"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// bareSentinels starts a redis-sentinel 7.0 and ours with no master and
// the extra config lines, for tests of the command surface alone.
func bareSentinels(t *testing.T, extra ...string) (real, ours *cluster.Sentinel) {
	t.Helper()
	c := cluster.New(t)
	sc := cluster.SentinelConfig{Extra: extra}
	return c.StartSentinel(cluster.Real, "real", sc), c.StartSentinel(cluster.Ours, "ours", sc)
}

// pipelineRaw writes every command at once and returns the raw bytes
// that come back until the reply to the final PING __end__ (commands
// whose reply is silenced answer nothing, so replies cannot be counted).
func pipelineRaw(t *testing.T, addr string, cmds [][]string) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var out []byte
	for _, c := range append(cmds, []string{"PING", "__end__"}) {
		out = cluster.AppendCommand(out, c...)
	}
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for !bytes.HasSuffix(got, []byte("$7\r\n__end__\r\n")) {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("%s: %v after %q", addr, err, got)
		}
	}
	return string(got)
}

// TestClientReplyDifferential: CLIENT REPLY OFF|SKIP|ON silence replies
// exactly as in redis-sentinel 7.0, pub/sub pushes excepted.
func TestClientReplyDifferential(t *testing.T) {
	real, ours := bareSentinels(t)
	script := [][]string{
		{"CLIENT", "REPLY", "SKIP"}, {"PING", "a"}, {"PING", "b"},
		{"CLIENT", "REPLY", "OFF"}, {"PING", "c"}, {"CLIENT", "REPLY", "SKIP"}, {"FOO"}, {"PING", "c2"},
		{"CLIENT", "REPLY", "ON"}, {"PING", "d"},
		{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "ON"}, {"PING", "e"},
		{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "BAD"}, {"PING", "f"},
		{"CLIENT", "REPLY", "OFF"}, {"SUBSCRIBE", "ch"}, {"PING", "g"}, {"UNSUBSCRIBE", "ch"},
		{"CLIENT", "REPLY", "SKIP"}, {"PSUBSCRIBE", "p*"}, {"PUNSUBSCRIBE"},
		{"CLIENT", "REPLY", "ON"}, {"CLIENT", "REPLY"}, {"CLIENT", "REPLY", "ON", "x"},
	}
	want, got := pipelineRaw(t, real.Addr(), script), pipelineRaw(t, ours.Addr(), script)
	if want != got {
		t.Errorf("raw replies differ\nredis-sentinel: %q\nours:           %q", want, got)
	}
	// Pub/sub messages still reach a silenced subscriber.
	port := strconv.Itoa(cluster.MustFreePort(t))
	var msgs [2]string
	for k, s := range []*cluster.Sentinel{real, ours} {
		sub := cluster.MustDial(t, s.Addr())
		for _, c := range [][]string{{"CLIENT", "REPLY", "OFF"}, {"PSUBSCRIBE", "+monitor"}, {"PING", "silenced"}} {
			if err := sub.Send(c...); err != nil {
				t.Fatal(err)
			}
		}
		if _, raw, err := sub.ReadRaw(5 * time.Second); err != nil || !strings.Contains(string(raw), "psubscribe") {
			t.Fatalf("%s: subscribe confirmation %q %v", s.Impl, raw, err)
		}
		admin := cluster.MustDial(t, s.Addr())
		admin.Must(t, "SENTINEL", "MONITOR", "silenced", "127.0.0.1", port, "1")
		_, raw, err := sub.ReadRaw(5 * time.Second)
		if err != nil {
			t.Fatalf("%s: no +monitor message: %v", s.Impl, err)
		}
		msgs[k] = string(raw)
		admin.Must(t, "SENTINEL", "REMOVE", "silenced")
		admin.Close()
		sub.Close()
	}
	if msgs[0] != msgs[1] {
		t.Errorf("message to a silenced subscriber\nredis-sentinel: %q\nours:           %q", msgs[0], msgs[1])
	}
}

// sessionDiff runs the same commands, one at a time on one connection
// each side, and compares the replies after mask.
func sessionDiff(t *testing.T, real, ours *cluster.Sentinel, mask func(string) string, cmds ...[]string) {
	t.Helper()
	rc, oc := cluster.MustDial(t, real.Addr()), cluster.MustDial(t, ours.Addr())
	defer rc.Close()
	defer oc.Close()
	ids := map[*cluster.Conn]string{}
	for _, c := range []*cluster.Conn{rc, oc} {
		v, err := c.Do("CLIENT", "ID")
		if err != nil {
			t.Fatal(err)
		}
		ids[c] = v.Text()
	}
	for _, cmd := range cmds {
		var replies [2]string
		for k, c := range []*cluster.Conn{rc, oc} {
			args := make([]string, len(cmd))
			for i, a := range cmd {
				args[i] = strings.ReplaceAll(a, "$ID", ids[c])
			}
			v, err := c.Do(args...)
			if err != nil {
				t.Fatal(err)
			}
			replies[k] = strings.ReplaceAll(v.String(), "redir="+ids[c]+" ", "redir=$ID ")
			if v.Kind == cluster.Integer && v.Text() == ids[c] {
				replies[k] = "(int) $ID"
			}
			if mask != nil {
				replies[k] = mask(replies[k])
			}
		}
		if replies[0] != replies[1] {
			t.Errorf("%s:\n  redis-sentinel: %s\n  ours:           %s", strings.Join(cmd, " "), replies[0], replies[1])
		}
	}
}

// clientInfoFields keeps what CLIENT INFO / LIST say about the state a
// command can change (flags, redir, name, resp) and drops addresses,
// ages and buffer sizes.
var volatileField = regexp.MustCompile(`\b(id|addr|laddr|fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll|omem|tot-mem|events)=\S*`)

// helloID is the id field of a HELLO reply.
var helloID = regexp.MustCompile(`"id", \(int\) \d+`)

func maskClientInfo(s string) string {
	return helloID.ReplaceAllString(volatileField.ReplaceAllString(s, "$1=*"), `"id", (int) *`)
}

// TestClientSubcommandsDifferential: every CLIENT subcommand of
// redis-sentinel 7.0's table, with its error paths and the state it
// leaves (TRACKING, CACHING, NO-EVICT, KILL filters, LIST options).
func TestClientSubcommandsDifferential(t *testing.T) {
	real, ours := bareSentinels(t, "user alice on >pw +@all")
	sessionDiff(t, real, ours, maskClientInfo,
		[]string{"CLIENT", "TRACKINGINFO"}, []string{"CLIENT", "GETREDIR"},
		[]string{"CLIENT", "CACHING", "yes"}, []string{"CLIENT", "CACHING", "yes", "x"},
		[]string{"CLIENT", "TRACKING", "on", "OPTIN"}, []string{"CLIENT", "CACHING", "no"},
		[]string{"CLIENT", "CACHING", "maybe"}, []string{"CLIENT", "CACHING", "yes"},
		[]string{"CLIENT", "TRACKINGINFO"}, []string{"PING"}, []string{"CLIENT", "TRACKINGINFO"},
		[]string{"CLIENT", "TRACKING", "on", "OPTOUT"}, []string{"CLIENT", "TRACKING", "on", "BCAST"},
		[]string{"CLIENT", "INFO"}, []string{"CLIENT", "TRACKING", "off"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b", "PREFIX", "a"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "abc"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "x", "PREFIX", "xy"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "c", "NOLOOP"},
		[]string{"CLIENT", "TRACKINGINFO"}, []string{"CLIENT", "INFO"}, []string{"CLIENT", "TRACKING", "on"},
		[]string{"CLIENT", "TRACKING", "off"}, []string{"CLIENT", "TRACKING", "on", "BCAST"}, []string{"CLIENT", "TRACKINGINFO"},
		[]string{"CLIENT", "TRACKING", "off"}, []string{"CLIENT", "TRACKING", "on", "REDIRECT", "$ID"},
		[]string{"CLIENT", "GETREDIR"}, []string{"CLIENT", "INFO"},
		[]string{"CLIENT", "TRACKING", "on", "REDIRECT", "$ID", "REDIRECT", "$ID"},
		[]string{"CLIENT", "TRACKING", "on", "REDIRECT", "99999"}, []string{"CLIENT", "TRACKING", "on", "REDIRECT", "x"},
		[]string{"CLIENT", "TRACKING", "on", "PREFIX", "a"}, []string{"CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "OPTIN"}, []string{"CLIENT", "TRACKING", "maybe"},
		[]string{"CLIENT", "TRACKING", "on", "FOO"}, []string{"CLIENT", "TRACKING", "on", "PREFIX"},
		[]string{"CLIENT", "NO-EVICT", "on"}, []string{"CLIENT", "INFO"}, []string{"CLIENT", "NO-EVICT", "maybe"},
		[]string{"CLIENT", "NO-EVICT", "off"}, []string{"CLIENT", "TRACKING", "off"}, []string{"CLIENT", "INFO"},
		[]string{"CLIENT", "UNBLOCK", "$ID"}, []string{"CLIENT", "UNBLOCK", "$ID", "ERROR"},
		[]string{"CLIENT", "UNBLOCK", "$ID", "FOO"}, []string{"CLIENT", "UNBLOCK", "x"},
		[]string{"CLIENT", "UNBLOCK", "1", "2", "3"}, []string{"CLIENT", "UNPAUSE"}, []string{"CLIENT", "UNPAUSE", "x"},
		[]string{"CLIENT", "PAUSE", "x"}, []string{"CLIENT", "PAUSE", "-1"}, []string{"CLIENT", "PAUSE", "10", "FOO"},
		[]string{"CLIENT", "PAUSE", "x", "FOO"}, []string{"CLIENT", "PAUSE", "10", "WRITE", "x"},
		[]string{"CLIENT", "PAUSE", "1", "write"}, []string{"CLIENT", "UNPAUSE"},
		[]string{"CLIENT", "KILL", "MAXAGE", "10"}, []string{"CLIENT", "KILL", "USER", "nosuch"},
		[]string{"CLIENT", "KILL", "USER", "alice"}, []string{"CLIENT", "KILL", "ID", "0"},
		[]string{"CLIENT", "KILL", "ID", "1", "extra"}, []string{"CLIENT", "KILL", "SKIPME", "maybe"},
		[]string{"CLIENT", "KILL", "TYPE", "master"}, []string{"CLIENT", "KILL", "TYPE", "bogus"},
		[]string{"CLIENT", "KILL", "LADDR", "1.2.3.4:5"}, []string{"CLIENT", "KILL", "1.2.3.4:5"},
		[]string{"CLIENT", "LIST", "ID", "0", "-1", "99999"}, []string{"CLIENT", "LIST", "ID", "x"},
		[]string{"CLIENT", "LIST", "TYPE", "normal", "ID", "1"}, []string{"CLIENT", "LIST", "ID", "$ID"},
		[]string{"CLIENT", "LIST", "foo"}, []string{"CLIENT", "LIST", "TYPE", "pubsub"},
		[]string{"HELLO", "3"}, []string{"CLIENT", "TRACKINGINFO"}, []string{"CLIENT", "INFO"},
		[]string{"CLIENT", "LIST", "TYPE", "pubsub"}, []string{"CLIENT", "LIST", "ID", "$ID"},
		[]string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "q"}, []string{"CLIENT", "TRACKINGINFO"},
	)
}

// TestHelloAuthDifferential: HELLO and AUTH before and after
// authentication with requirepass, each on a fresh connection: the
// options act in order, and the NOAUTH text is 7.0's.
func TestHelloAuthDifferential(t *testing.T) {
	real, ours := bareSentinels(t, "requirepass secret")
	for _, cmds := range [][][]string{
		{{"HELLO"}}, {{"HELLO", "2"}}, {{"HELLO", "3"}}, {{"HELLO", "3", "SETNAME", "x"}, {"CLIENT", "GETNAME"}},
		{{"HELLO", "3", "SETNAME", "bad name"}}, {{"HELLO", "3", "SETNAME", "bad name", "AUTH", "default", "wrong"}},
		{{"HELLO", "3", "AUTH", "default", "wrong", "SETNAME", "bad name"}},
		{{"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "bad name"}, {"PING"}},
		{{"HELLO", "3", "AUTH", "default", "secret", "SETNAME", "ok"}, {"CLIENT", "GETNAME"}},
		{{"HELLO", "3", "SETNAME", "early", "AUTH", "default", "secret"}, {"CLIENT", "GETNAME"}},
		{{"HELLO", "3", "AUTH", "default"}}, {{"HELLO", "3", "FOO"}}, {{"HELLO", "1"}}, {{"HELLO", "x"}},
		{{"HELLO", "3", "AUTH", "nouser", "secret"}}, {{"AUTH"}}, {{"AUTH", "wrong"}}, {{"AUTH", "a", "b", "c"}},
		{{"AUTH", "default", "wrong"}}, {{"AUTH", "secret"}, {"HELLO", "3"}},
	} {
		sessionDiff(t, real, ours, maskClientInfo, cmds...)
	}
}

// pauseOutcome is what one sentinel did under CLIENT PAUSE, in coarse
// timings that both implementations must share.
func pauseOutcome(t *testing.T, s *cluster.Sentinel) []string {
	t.Helper()
	a, b := cluster.MustDial(t, s.Addr()), cluster.MustDial(t, s.Addr())
	defer a.Close()
	defer b.Close()
	var out []string
	bid := b.Must(t, "CLIENT", "ID").Text()
	timed := func(what string, args ...string) {
		start := time.Now()
		v, err := b.Do(args...)
		if err != nil {
			t.Fatal(err)
		}
		waited := "at once"
		if time.Since(start) > 250*time.Millisecond {
			waited = "held"
		}
		out = append(out, what+": "+waited+" "+v.String())
	}
	a.Must(t, "CLIENT", "PAUSE", "400", "WRITE")
	timed("PING under WRITE", "PING")
	timed("SENTINEL MASTERS under WRITE", "SENTINEL", "MASTERS")
	timed("PUBLISH under WRITE", "PUBLISH", "x", "y")
	a.Must(t, "CLIENT", "PAUSE", "400")
	timed("PING under ALL", "PING")
	timed("unknown command under ALL", "NOSUCH")
	// ALL holds the pauser's own next command too (here for 400 ms).
	a.Must(t, "CLIENT", "PAUSE", "400", "ALL")
	a.Must(t, "CLIENT", "PAUSE", "10", "WRITE")
	timed("PING after the pauser's own command was held", "PING")
	// A reply queued before a held command goes out before it is held;
	// UNPAUSE from another client releases it.
	a.Must(t, "CLIENT", "PAUSE", "5000", "WRITE")
	if err := b.Send("PING", "first"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send("PUBLISH", "x", "y"); err != nil {
		t.Fatal(err)
	}
	v, err := b.Read()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, "pipelined before held: "+v.String())
	time.Sleep(300 * time.Millisecond)
	// The held client as CLIENT LIST shows it.
	lv := a.Must(t, "CLIENT", "LIST", "ID", bid)
	out = append(out, "held client listed as: "+regexp.MustCompile(`flags=\S+|cmd=\S+`).FindAllString(lv.Text(), -1)[0]+" "+
		regexp.MustCompile(`cmd=\S+`).FindString(lv.Text()))
	start := time.Now()
	a.Must(t, "CLIENT", "UNPAUSE")
	v, err = b.Read()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, fmt.Sprintf("released by UNPAUSE within 1s: %v %s", time.Since(start) < time.Second, v))
	return out
}

// TestClientPauseDifferential: CLIENT PAUSE holds commands as in
// redis-sentinel 7.0 (WRITE holds only PUBLISH; ALL holds everything that
// passes the command checks; UNPAUSE releases).
func TestClientPauseDifferential(t *testing.T) {
	real, ours := bareSentinels(t)
	want, got := pauseOutcome(t, real), pauseOutcome(t, ours)
	if d := cluster.LineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")); d != "" {
		t.Errorf("pause behaviour differs (- redis-sentinel, + ours):\n%s", d)
	}
	t.Logf("redis-sentinel:\n%s", strings.Join(want, "\n"))
}

// TestPausedSilencedSubscriberGetsMessages: a RESP3 subscriber whose
// PUBLISH waits behind CLIENT PAUSE WRITE, with replies off, still gets
// the messages published meanwhile, as from redis-sentinel 7.0.
func TestPausedSilencedSubscriberGetsMessages(t *testing.T) {
	real, ours := bareSentinels(t)
	port := strconv.Itoa(cluster.MustFreePort(t))
	var got [2]string
	for k, s := range []*cluster.Sentinel{real, ours} {
		sub := cluster.MustDial(t, s.Addr())
		sub.Must(t, "HELLO", "3")
		sub.Must(t, "PSUBSCRIBE", "+monitor")
		admin := cluster.MustDial(t, s.Addr())
		admin.Must(t, "CLIENT", "PAUSE", "1500", "WRITE")
		for _, c := range [][]string{{"CLIENT", "REPLY", "OFF"}, {"PUBLISH", "x", "y"}} {
			if err := sub.Send(c...); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(200 * time.Millisecond) // PUBLISH is held now
		admin.Must(t, "SENTINEL", "MONITOR", "held", "127.0.0.1", port, "1")
		_, raw, err := sub.ReadRaw(time.Second)
		if err != nil {
			t.Errorf("%s: no message while held: %v", s.Impl, err)
		}
		got[k] = string(raw)
		admin.Must(t, "CLIENT", "UNPAUSE")
		admin.Must(t, "SENTINEL", "REMOVE", "held")
		admin.Close()
		sub.Close()
	}
	if got[0] != got[1] {
		t.Errorf("redis-sentinel: %q\nours:           %q", got[0], got[1])
	}
}
