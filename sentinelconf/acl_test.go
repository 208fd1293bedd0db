package sentinelconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/commandtable"
	"github.com/qsentinel/qsentinel/sdsargs"
)

func TestACLDirectives(t *testing.T) {
	head := "sentinel monitor m 127.0.0.1 6379 2\n"
	for _, tc := range []struct {
		conf   string
		line   int
		reason string
	}{
		{"user u on badrule\n", 1, "Error in user declaration 'u': Syntax error"},
		{"user u on (+ping ~x) (badr)\n", 1, "Error in user declaration 'on': Syntax error"},
		{"user u on\nuser u off\n", 2, "Error in user declaration 'u': Duplicate user found. A user can only be defined once in config files"},
		{"acl-pubsub-default allchannels\nuser u on &x\n", 2, "Error in user declaration 'u': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{"acl-pubsub-default bogus\n", 1, "argument(s) must be one of the following: allchannels, resetchannels"},
		{"acllog-max-len x\n", 1, "argument couldn't be parsed into an integer"},
	} {
		_, err := Parse("t.conf", []byte(tc.conf+head))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Line != tc.line || ce.Reason != tc.reason {
			t.Errorf("%q: got %v, want line %d %q", tc.conf, err, tc.line, tc.reason)
		}
	}
	f, err := Parse("t.conf", []byte("user u on +get\nacl-pubsub-default ALLCHANNELS\nacllog-max-len 5\naclfile users.acl\n"+head))
	if err != nil {
		t.Fatalf("unknown commands are found when users load, not while parsing: %v", err)
	}
	if !f.Server.ACLPubsubAll || f.Server.ACLLogMaxLen != 5 || f.Server.ACLFile != "users.acl" {
		t.Errorf("got %+v", f.Server)
	}
}

// TestUserLineKeepsQuoting: a password with a space is one rule, as in
// redis (the arguments used to be joined with spaces and split again).
func TestUserLineKeepsQuoting(t *testing.T) {
	f, err := Parse("t.conf", []byte("user u on \">pa ss\" +ping\nsentinel monitor m 127.0.0.1 6379 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	// The users load as the sentinel loads them at start: each line
	// split back into its arguments.
	cat, err := commandtable.ACLCatalog()
	if err != nil {
		t.Fatal(err)
	}
	users := acl.NewTable(cat, acl.Options{})
	var defs [][]string
	for _, l := range f.Server.Users {
		args, err := sdsargs.Split(l)
		if err != nil {
			t.Fatalf("user line %q: %v", l, err)
		}
		defs = append(defs, args)
	}
	if err := users.Load(defs); err != nil {
		t.Fatal(err)
	}
	if !users.Authenticate("u", "pa ss") || users.Authenticate("u", "pa") {
		t.Errorf("password with a space: users %q, ACL %q", f.Server.Users, users.List())
	}
}

// TestRewriteWritesUsers: the config rewrite writes one "user" line per
// user (ACL LIST lines), reusing the old user lines' places, and drops
// old user lines left over, as rewriteConfigUserOption does.
func TestRewriteWritesUsers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	conf := "port 26379\nuser a on nopass +ping\n# keep\nuser b on nopass +ping\nsentinel monitor m 127.0.0.1 6379 2\n"
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Parse(path, []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	store := &ConfStore{Path: path, File: f, Users: func() []string {
		return []string{"user a on nopass resetchannels -@all +ping +role"}
	}}
	cfg := f.Sentinel
	cfg.MyID = strings.Repeat("a", 40)
	if err := store.Save(&cfg); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	lines := strings.Split(string(out), "\n")
	if lines[1] != "user a on nopass resetchannels -@all +ping +role" || lines[2] != "# keep" || strings.Contains(string(out), "user b") {
		t.Errorf("rewritten:\n%s", out)
	}
	// Without a Users source (YAML, tests) the user lines stay as they are.
	if got := string(Rewrite(strings.Split(conf, "\n"), &cfg)); !strings.Contains(got, "user b on nopass +ping") {
		t.Errorf("Rewrite without users:\n%s", got)
	}
}

// TestYAMLKeepsACLLog: a YAML config keeps redis's default ACL LOG length
// (0 would mean a log that keeps nothing).
func TestYAMLKeepsACLLog(t *testing.T) {
	f, _, err := LoadYAML("../sentinel.example.yaml", "QSTEST")
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.ACLLogMaxLen != 128 {
		t.Errorf("acllog-max-len %d", f.Server.ACLLogMaxLen)
	}
}
