package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// startOutput runs a sentinel binary on a config that must not start and
// returns what it printed; the config file must be left as it was.
func startOutput(t *testing.T, bin, dir, conf string) string {
	t.Helper()
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, path)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Errorf("%s started (or hung) with\n%s\noutput: %s", bin, conf, out)
	}
	if after, _ := os.ReadFile(path); string(after) != conf {
		t.Errorf("%s changed the config of a failed start:\n%s", bin, cluster.LineDiff(conf, string(after)))
	}
	return string(out)
}

// fatalBlock is redis's "*** FATAL CONFIG FILE ERROR" block.
func fatalBlock(out string) string {
	i := strings.Index(out, "*** FATAL CONFIG FILE ERROR")
	if i < 0 {
		return "<no FATAL block>"
	}
	return strings.TrimSpace(out[i:])
}

// TestACLStartupErrors: a user line redis refuses while reading the file
// fails our start with the same FATAL CONFIG FILE ERROR block; a rule
// naming a command the sentinel does not have fails it when the users are
// loaded, with redis's log lines; so do an aclfile beside user lines, a
// missing aclfile and one with errors.
func TestACLStartupErrors(t *testing.T) {
	real, ours := cluster.LookBinary(t, "redis-sentinel"), cluster.OurBinary(t)
	port := cluster.MustFreePort(t)
	head := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 %d 2\n", port, cluster.MustFreePort(t))
	for _, line := range []string{
		"user u on badrule",
		"user u on >p #abc",
		"user u on (+ping ~x) (badr)",
		"user u on <nope",
		"user u on +client|list|x",
		"user u on +sentinel|",
		"user u on ~a allkeys ~b",
		"user u on &a allchannels &b",
		"user u on %X~a",
		"user u on\nuser u off",
		"acl-pubsub-default allchannels\nuser u on &x",
		"acl-pubsub-default bogus",
		"acllog-max-len x",
		"acllog-max-len -1",
	} {
		conf := head + line + "\n"
		want := fatalBlock(startOutput(t, real, t.TempDir(), conf))
		got := fatalBlock(startOutput(t, ours, t.TempDir(), conf))
		if want != got {
			t.Errorf("%q (- redis-sentinel, + ours):\n%s", line, cluster.LineDiff(want, got))
		}
	}
	for _, tc := range []struct{ line, want string }{
		{"user u on >p +get", "Error loading ACL rule '+get' for the user named 'u': Unknown command or category name in ACL"},
		{"user u on +sentinel|nosuch", "Error loading ACL rule '+sentinel|nosuch' for the user named 'u': Unknown command or category name in ACL"},
		{"user u on -@nosuch", "Error loading ACL rule '-@nosuch' for the user named 'u': Unknown command or category name in ACL"},
	} {
		conf := head + tc.line + "\n"
		for _, bin := range []string{real, ours} {
			out := startOutput(t, bin, t.TempDir(), conf)
			if !strings.Contains(out, tc.want) || !strings.Contains(out, "Critical error while loading ACLs. Exiting.") {
				t.Errorf("%s %q: output lacks %q:\n%s", bin, tc.line, tc.want, out)
			}
		}
	}
	// aclfile: loaded after the config, in the config's dir; errors end
	// the start with redis's text.
	for _, tc := range []struct{ conf, file, want string }{
		{"aclfile users.acl\nuser u on\n", "", "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid."},
		{"aclfile users.acl\n", "", "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file 'users.acl': No such file or directory"},
		{"aclfile users.acl\n", "user u on badrule\nuser v on +get\n", "Aborting Redis startup because of ACL errors: users.acl:1: Syntax error. users.acl:2: Error in applying operation '+get': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"},
	} {
		for _, bin := range []string{real, ours} {
			dir := t.TempDir()
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "users.acl"), []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := startOutput(t, bin, dir, head+"dir "+dir+"\n"+tc.conf)
			if !strings.Contains(out, tc.want) {
				t.Errorf("%s %q: output lacks %q:\n%s", bin, tc.conf, tc.want, out)
			}
		}
	}
}

// TestACLSetuserSurvivesRestart: users created and changed with ACL
// SETUSER are written by the next config rewrite (SENTINEL FLUSHCONFIG),
// as redis-sentinel writes them, and are there after a restart.
func TestACLSetuserSurvivesRestart(t *testing.T) {
	c := cluster.New(t)
	mon := []cluster.Monitor{{Name: "mymaster", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}
	sc := cluster.SentinelConfig{Monitors: mon, Extra: aclUsers[:3]}
	real := c.StartSentinel(cluster.Real, "real", sc)
	ours := c.StartSentinel(cluster.Ours, "ours", sc)
	m := newMasker()
	var lists, afters [2]string
	for i, s := range []*cluster.Sentinel{real, ours} {
		conn := cluster.MustDial(t, s.Addr())
		conn.Must(t, "AUTH", "secret")
		conn.Must(t, "ACL", "SETUSER", "added", "on", ">np", "-@all", "+sentinel|masters", "&chan", "(+ping)")
		conn.Must(t, "ACL", "SETUSER", "limited", "+role")
		conn.Must(t, "ACL", "DELUSER", "ping")
		conn.Must(t, "SENTINEL", "FLUSHCONFIG")
		before := sortRules(conn.Must(t, "ACL", "LIST"), m).Tree()
		conf, err := os.ReadFile(s.ConfPath)
		if err != nil {
			t.Fatal(err)
		}
		var users []string
		for _, l := range strings.Split(string(conf), "\n") {
			if strings.HasPrefix(l, "user ") {
				users = append(users, sortWords(l))
			}
		}
		lists[i] = strings.Join(users, "\n")
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
		conn = cluster.MustDial(t, s.Addr())
		conn.Must(t, "AUTH", "added", "np")
		if v, _ := conn.Do("SENTINEL", "MYID"); !v.IsError() {
			t.Errorf("%s: added may run SENTINEL MYID after the restart: %s", s.Impl, v)
		}
		conn.Must(t, "PING")
		conn = cluster.MustDial(t, s.Addr())
		conn.Must(t, "AUTH", "secret")
		after := sortRules(conn.Must(t, "ACL", "LIST"), m).Tree()
		afters[i] = after
		// Only the default user may change: its rewritten "user default"
		// line starts from "reset", which adds sanitize-payload (redis
		// does the same).
		keep := func(tree string) string {
			var out []string
			for _, l := range strings.Split(tree, "\n") {
				if !strings.Contains(l, " default ") {
					out = append(out, l)
				}
			}
			return strings.Join(out, "\n")
		}
		if d := cluster.LineDiff(keep(before), keep(after)); d != "" {
			t.Errorf("%s: users changed by the restart:\n%s", s.Impl, d)
		}
	}
	if d := cluster.LineDiff(afters[0], afters[1]); d != "" {
		t.Errorf("ACL LIST after the restart (- redis-sentinel, + ours):\n%s", d)
	}
	if d := cluster.LineDiff(lists[0], lists[1]); d != "" {
		t.Errorf("user lines of the rewritten config (- redis-sentinel, + ours):\n%s", d)
	}
}
