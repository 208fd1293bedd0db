package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestACLFile runs redis-sentinel and ours with the same aclfile and
// compares: the users it declares, ACL SAVE's file, ACL LOAD of a file
// with errors (nothing changes) and of a valid one (clients of other
// users are dropped; a file without a default user gets a nopass one),
// a config rewrite that keeps no user lines, and a restart.
func TestACLFile(t *testing.T) {
	c := cluster.New(t)
	master := cluster.MustFreePort(t)
	const users = "user default on >secret ~* &* +@all\nuser limited on >lpass -@all +sentinel|get-master-addr-by-name\n"
	var ss [2]*cluster.Sentinel
	for i, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		dir := c.NewDir("aclfile-" + impl.String())
		conf := fmt.Sprintf("port 0\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 2\naclfile users.acl\n", dir, master)
		if err := os.WriteFile(filepath.Join(dir, "sentinel.conf"), []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "users.acl"), []byte(users), 0o644); err != nil {
			t.Fatal(err)
		}
		ss[i] = c.StartSentinelOnConf(impl, "aclfile-"+impl.String(), filepath.Join(dir, "sentinel.conf"))
	}
	aclPath := func(s *cluster.Sentinel) string { return filepath.Join(filepath.Dir(s.ConfPath), "users.acl") }
	writeBoth := func(text string) {
		for _, s := range ss {
			if err := os.WriteFile(aclPath(s), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	m := newMasker()
	var admin, victims [2]*cluster.Conn
	for i, s := range ss {
		admin[i] = cluster.MustDial(t, s.Addr())
		victims[i] = cluster.MustDial(t, s.Addr())
	}
	do := func(conns [2]*cluster.Conn, norm normalizer, args ...string) {
		t.Helper()
		rv, err1 := conns[0].Do(args...)
		ov, err2 := conns[1].Do(args...)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q: real %v, ours %v", args, err1, err2)
		}
		if d := cluster.LineDiff(norm(rv, m).Tree(), norm(ov, m).Tree()); d != "" {
			t.Errorf("%q differs (- redis-sentinel, + ours):\n%s", args, d)
		}
	}
	do(admin, exact, "PING")
	do(admin, exact, "AUTH", "secret")
	do(admin, sortRules, "ACL", "LIST")
	do(victims, exact, "AUTH", "limited", "lpass")
	do(victims, exact, "SENTINEL", "SET", "mymaster", "quorum", "1")
	do(admin, exact, "ACL", "SETUSER", "added", "on", ">x", "+ping", "(+role &c)")
	do(admin, exact, "ACL", "SAVE")
	var saved [2]string
	for i, s := range ss {
		b, err := os.ReadFile(aclPath(s))
		if err != nil {
			t.Fatal(err)
		}
		saved[i] = sortWords(string(b))
	}
	if d := cluster.LineDiff(saved[0], saved[1]); d != "" {
		t.Errorf("ACL SAVE (- redis-sentinel, + ours):\n%s", d)
	}
	writeBoth("# comment\nuser bad on badrule +get\nuser limited on >lpass\nuser limited off\nuser a\tb on\nnotuser x\nuser x (+ping\n\n")
	do(admin, exact, "ACL", "LOAD")
	do(admin, sortRules, "ACL", "LIST")
	writeBoth("user limited on >lpass +@all -@dangerous\n")
	do(admin, exact, "ACL", "LOAD")
	do(admin, sortRules, "ACL", "LIST")
	for _, v := range victims {
		v.Timeout = 2 * time.Second
		if _, err := v.Do("PING"); err == nil {
			t.Errorf("%s: client of a user dropped by ACL LOAD still connected", v.Addr)
		}
	}
	var fresh [2]*cluster.Conn
	for i, s := range ss {
		fresh[i] = cluster.MustDial(t, s.Addr())
	}
	do(fresh, exact, "ACL", "WHOAMI")
	do(fresh, exact, "SENTINEL", "FLUSHCONFIG")
	for _, s := range ss {
		b, err := os.ReadFile(s.ConfPath)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "\nuser ") {
			t.Errorf("%s: the rewrite kept user lines although users live in the aclfile:\n%s", s.Impl, b)
		}
		if err := s.Restart(); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range ss {
		fresh[i] = cluster.MustDial(t, s.Addr())
	}
	do(fresh, sortRules, "ACL", "LIST")
	os.Remove(aclPath(ss[0]))
	os.Remove(aclPath(ss[1]))
	do(fresh, exact, "ACL", "LOAD")
	do(fresh, exact, "ACL", "SAVE")
}
