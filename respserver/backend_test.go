package respserver

import (
	"slices"
	"testing"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sentinel"
)

// The views' reply shapes, from a fake monitor whose answers are known:
// RESP2 arrays of field pairs in the view's order, the nil array for an
// unknown master's address, error texts passed verbatim.
func TestViewsFromFake(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	f.mu.Lock()
	f.replicas["mymaster"] = []sentinel.InstanceView{{Fields: []sentinel.Field{{Key: "name", Value: "127.0.0.1:6380"}}}}
	f.mu.Unlock()
	c := dial(t, addr)
	master := "*8\r\n$4\r\nname\r\n$8\r\nmymaster\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n$4\r\nport\r\n$4\r\n6379\r\n$5\r\nflags\r\n$6\r\nmaster\r\n"
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "MASTERS"}, "*1\r\n" + master},
		{[]string{"SENTINEL", "MASTER", "mymaster"}, master},
		{[]string{"SENTINEL", "MASTER", "nope"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "REPLICAS", "mymaster"}, "*1\r\n*2\r\n$4\r\nname\r\n$14\r\n127.0.0.1:6380\r\n"},
		{[]string{"SENTINEL", "SENTINELS", "mymaster"}, "*0\r\n"},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope"}, "*-1\r\n"},
		{[]string{"SENTINEL", "MYID"}, "$40\r\n" + f.id + "\r\n"},
		{[]string{"ROLE"}, "*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n"},
	})
	c.do("HELLO", "3")
	if got := c.do("SENTINEL", "MASTER", "mymaster"); got[0] != '%' {
		t.Errorf("RESP3 SENTINEL MASTER: %q, want a map", got)
	}
}

// Requests reach the monitor with their arguments parsed as redis parses
// them, and one that fails the server's own checks never reaches it.
func TestRequestsReachBackend(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	checkReplies(t, c, []replyCase{
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "7", "*"}, "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"},
		{[]string{"SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "+6379", "7", "*"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"PUBLISH", "__sentinel__:hello", "a,b"}, ":1\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "mymaster"}, "+OK\r\n"},
		{[]string{"SENTINEL", "FAILOVER", "nope", "COORDINATED"}, "-ERR No such master with that name\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "quorum", "3"}, "+OK\r\n"},
	})
	want := []string{
		"IsMasterDownByAddr 127.0.0.1 6379 7 *",
		"ProcessHello a,b",
		"Failover mymaster",
		"Set mymaster quorum 3",
	}
	if got := f.recorded(); !slices.Equal(got, want) {
		t.Errorf("calls:\n got %q\nwant %q", got, want)
	}
	// The monitor's refusal is the client's error, verbatim.
	f.mu.Lock()
	f.err = sentinel.ErrInProgress
	f.mu.Unlock()
	if got := c.do("SENTINEL", "FAILOVER", "mymaster"); got != "-INPROG Failover already in progress\r\n" {
		t.Errorf("refused FAILOVER: %q", got)
	}
}

// Events the monitor publishes reach a pattern subscriber as pmessages
// and a channel subscriber as messages, on the kind's channel, with the
// payload redis-sentinel sends.
func TestFakeEventsReachSubscribers(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	c.do("PSUBSCRIBE", "+od*")
	ch := dial(t, addr)
	ch.do("SUBSCRIBE", "+switch-master")
	f.bus.Publish(event.Event{Level: event.LevelWarning, Kind: event.ODown, Master: "mymaster",
		Instance: event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: event.Addr{Host: "127.0.0.1", Port: 6379}},
		Votes:    2, Quorum: 2})
	want := "*4\r\n$8\r\npmessage\r\n$4\r\n+od*\r\n$6\r\n+odown\r\n$42\r\nmaster mymaster 127.0.0.1 6379 #quorum 2/2\r\n"
	if got := c.readReply(); got != want {
		t.Errorf("pmessage:\n got %q\nwant %q", got, want)
	}
	f.bus.Publish(event.Event{Level: event.LevelWarning, Kind: event.SwitchMaster, Master: "mymaster",
		From: event.Addr{Host: "::1", Port: 6379}, To: event.Addr{Host: "fe80::2", Port: 6380}})
	want = "*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n$30\r\nmymaster ::1 6379 fe80::2 6380\r\n"
	if got := ch.readReply(); got != want {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}
}

// Votes asked in one pipeline share their saves (at most one running and
// one more for the votes that came during it), and no reply leaves before
// the save that covers its vote: a peer asks about every master on one
// connection, and a save per vote, in a row, made a thousand elections
// wait for a thousand saves.
func TestPipelinedVotesSavedOnceBeforeReplies(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	c := dial(t, addr)
	vote := func(port string) string {
		return encode("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", port, "7", "abc")
	}
	if _, err := c.nc.Write([]byte(vote("6379") + vote("6380"))); err != nil {
		t.Fatal(err)
	}
	v1, v2, sv := "IsMasterDownByAddr 127.0.0.1 6379 7 abc", "IsMasterDownByAddr 127.0.0.1 6380 7 abc", "SaveVotes"
	for _, vote := range []string{v1, v2} {
		if got := c.readReply(); got != "*3\r\n:0\r\n$3\r\nabc\r\n:7\r\n" {
			t.Fatalf("vote reply %q", got)
		}
		// A reply is written after the save that covers its vote: a save
		// follows the vote in the calls made so far. (The next vote may
		// already have come after it: the reply is out, the server reads on.)
		calls := f.recorded()
		i := slices.Index(calls, vote)
		if i < 0 || !slices.Contains(calls[i+1:], sv) {
			t.Fatalf("reply before its vote (%s) was saved: %q", vote, calls)
		}
	}
	// The second vote comes before the first save starts (one save), or
	// while it runs (one more after it).
	got := f.recorded()
	ok := false
	for _, want := range [][]string{{v1, v2, sv}, {v1, sv, v2, sv}, {v1, v2, sv, sv}} {
		ok = ok || slices.Equal(got, want)
	}
	if !ok {
		t.Errorf("calls %q, want %q", got, []string{v1, v2, sv})
	}
	// A question without a vote saves nothing.
	c.do("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "6379", "7", "*")
	if calls := f.recorded(); calls[len(calls)-1] == "SaveVotes" {
		t.Errorf("a question without a vote was saved: %q", calls)
	}
}
