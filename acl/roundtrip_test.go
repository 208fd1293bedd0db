package acl_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/commandtable"
)

// TestDescriptionRoundTrip: for random rule lists over redis-sentinel's
// real command table, the ACL LIST description applied to a new user
// gives the same description and the same decision for every command.
// redis checks the same property and panics when it fails.
func TestDescriptionRoundTrip(t *testing.T) {
	cat, err := commandtable.ACLCatalog()
	if err != nil {
		t.Fatal(err)
	}
	var vocab []string
	for _, c := range acl.Categories {
		vocab = append(vocab, "+@"+c, "-@"+c)
	}
	var cmds []*acl.Command
	for _, name := range []string{"ping", "sentinel", "client", "acl", "command", "info", "role", "shutdown",
		"subscribe", "psubscribe", "publish", "unsubscribe", "punsubscribe", "auth", "hello"} {
		c := cat.Command(name)
		if c == nil {
			t.Fatalf("no %s in the catalog", name)
		}
		cmds = append(cmds, c)
		vocab = append(vocab, "+"+name, "-"+name)
	}
	for _, full := range []string{"sentinel|set", "sentinel|masters", "sentinel|get-master-addr-by-name",
		"client|list", "client|kill", "acl|whoami", "acl|setuser", "command|info"} {
		c := cat.Lookup(full)
		if c == nil {
			t.Fatalf("no %s in the catalog", full)
		}
		cmds = append(cmds, c)
		vocab = append(vocab, "+"+full, "-"+full)
	}
	vocab = append(vocab, "allcommands", "nocommands", "+ping|x", "+info|server", "&a*", "&b", "resetchannels",
		"allchannels", "~k*", "%R~r", "resetkeys", "allkeys", "on", "off", "nopass", ">p", "reset",
		"(+ping &c)", "(-@all +sentinel|masters)", "clearselectors")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		var rules []string
		for range 1 + rng.IntN(8) {
			rules = append(rules, vocab[rng.IntN(len(vocab))])
		}
		a := acl.NewTable(cat, acl.Options{})
		if _, _, err := a.SetUser("u", rules); err != nil {
			// Rules after "allkeys"/"allchannels" may be refused; fine.
			continue
		}
		desc := strings.TrimPrefix(a.List()[1], "user u ")
		b := acl.NewTable(cat, acl.Options{})
		if _, _, err := b.SetUser("u", strings.Fields(desc)); err != nil {
			t.Fatalf("#%d %q: description %q refused: %v", i, rules, desc, err)
		}
		if again := strings.TrimPrefix(b.List()[1], "user u "); again != desc {
			t.Fatalf("#%d %q: description %q became %q", i, rules, desc, again)
		}
		ua, ub := a.User("u"), b.User("u")
		for _, c := range cmds {
			for _, args := range [][][]byte{{[]byte("x")}, {[]byte("x"), []byte("x")}, {[]byte("x"), []byte("server")}} {
				ra, _ := ua.Check(c, args)
				rb, _ := ub.Check(c, args)
				if ra != rb {
					t.Fatalf("#%d %q: %s %q allowed differently after the round trip (%v, %v) via %q", i, rules, c.Name(), args, ra, rb, desc)
				}
			}
		}
	}
}
