package respserver

import (
	"errors"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/commandtable"
)

// TestACLEnforced: a user allowed one subcommand gets NOPERM for the rest
// (the hole an outside conformance suite found), the denial is in ACL
// LOG, and its SENTINEL SET changes nothing.
func TestACLEnforced(t *testing.T) {
	srv, addr := startServer(t, Config{RequirePass: "secret", Users: []string{
		"limited on >lpass -@all +sentinel|get-master-addr-by-name",
		"ping on nopass +ping",
		"chan on nopass +@pubsub resetchannels &news.*",
	}})
	c := dial(t, addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"AUTH", "limited", "lpass"}, "+OK\r\n"},
		{[]string{"SENTINEL", "SET", "mymaster", "quorum", "1"}, "-NOPERM this user has no permissions to run the 'sentinel|set' command\r\n"},
		{[]string{"SENTINEL", "DEBUG"}, "-NOPERM this user has no permissions to run the 'sentinel|debug' command\r\n"},
		{[]string{"INFO"}, "-NOPERM this user has no permissions to run the 'info' command\r\n"},
		{[]string{"PSUBSCRIBE", "*"}, "-NOPERM this user has no permissions to run the 'psubscribe' command\r\n"},
		{[]string{"CLIENT", "KILL", "ID", "1"}, "-NOPERM this user has no permissions to run the 'client|kill' command\r\n"},
		{[]string{"SHUTDOWN"}, "-NOPERM this user has no permissions to run the 'shutdown' command\r\n"},
		{[]string{"SENTINEL", "NOSUCH"}, "-ERR unknown subcommand 'NOSUCH'. Try SENTINEL HELP.\r\n"},
		{[]string{"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"}, "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n"},
		{[]string{"AUTH", "ping", "x"}, "+OK\r\n"},
		{[]string{"SENTINEL", "MASTERS"}, "-NOPERM this user has no permissions to run the 'sentinel|masters' command\r\n"},
		{[]string{"PING"}, "+PONG\r\n"},
		{[]string{"AUTH", "chan", "x"}, "+OK\r\n"},
		{[]string{"SUBSCRIBE", "news.1", "other"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
		{[]string{"PSUBSCRIBE", "news.1*"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
	} {
		if got := c.do(tc.args...); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
	m, err := srv.backend.Master("mymaster")
	if err != nil {
		t.Fatal(err)
	}
	if q, _ := m.Get("quorum"); q != "2" {
		t.Errorf("quorum changed to %s by a denied SENTINEL SET", q)
	}
	e := srv.acl.Log.Entries(10)
	if len(e) != 9 || e[0].Reason != "channel" || e[0].Object != "news.1*" || e[len(e)-1].Object != "sentinel|set" ||
		e[len(e)-1].Username != "limited" || !strings.Contains(e[len(e)-1].ClientInfo, "cmd=sentinel|set user=limited") {
		t.Errorf("ACL LOG: %+v", e)
	}
}

// TestACLServedCommandsAreInRedisTable: every command and subcommand we
// serve is in redis-sentinel's table, so rules can name it (New would
// refuse to listen otherwise).
func TestACLServedCommandsAreInRedisTable(t *testing.T) {
	cat, err := commandtable.ACLCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := attachACL(buildTable(), cat); err != nil {
		t.Fatal(err)
	}
}

// TestACLBadUsersFailListen: a user table that cannot be built fails the
// start instead of serving without it.
func TestACLBadUsersFailListen(t *testing.T) {
	srv := New(Config{Users: []string{"u on +get"}}, nil, nil)
	err := srv.Listen()
	var le *acl.LoadError
	if err == nil || !errors.As(err, &le) {
		t.Fatalf("Listen: %v", err)
	}
}
