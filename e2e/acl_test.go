package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// aclUsers are the users both sentinels start with: one or more per kind
// of rule (commands, subcommands, categories, first-args, channels, keys,
// selectors, passwords added and removed, a disabled user).
var aclUsers = []string{
	"requirepass secret",
	"user limited on >lpass -@all +sentinel|get-master-addr-by-name",
	"user ping on nopass +ping",
	"user admin on >apass allcommands -sentinel|set -@dangerous +info allchannels",
	"user chan on >cpass -@all +@pubsub +ping resetchannels &news.* &__sentinel__:hello",
	"user sel on >spass nocommands +ping (+sentinel|masters +role) (+publish &x*)",
	"user off off >opass +@all",
	"user keys on >kpass ~foo* %R~bar %W~baz %RW~qux allchannels +@all -acl resetkeys ~k*",
	"user multi on >m1 >m2 <m2 #" + strings.Repeat("ab", 32) + " !" + strings.Repeat("ab", 32) + " +client|list +client|setname +@connection -ping",
	"user firstarg on >fpass -@all +ping|hi +acl|whoami",
	"user cats on >catpass +@all -@slow +@admin -@pubsub",
	"user resetme on >r1 +@all &a reset on >r2 +role",
}

// aclLogins is who each probe logs in as (AUTH arguments).
var aclLogins = [][]string{
	{"secret"}, {"limited", "lpass"}, {"ping", "any"}, {"admin", "apass"},
	{"chan", "cpass"}, {"sel", "spass"}, {"off", "opass"}, {"keys", "kpass"},
	{"multi", "m1"}, {"multi", "m2"}, {"firstarg", "fpass"}, {"cats", "catpass"},
	{"resetme", "r1"}, {"resetme", "r2"}, {"nosuch", "x"},
}

// errOr compares error replies exactly and other replies with norm.
func errOr(norm normalizer) normalizer {
	return func(v cluster.Value, m *masker) cluster.Value {
		if v.IsError() {
			return v
		}
		return norm(v, m)
	}
}

// permOnly compares only whether the command was refused for lack of
// permission (CLIENT PAUSE, TRACKING and CACHING are not served the same
// way by ours; the ACL decision must still be redis's).
func permOnly(v cluster.Value, _ *masker) cluster.Value {
	if v.IsError() && strings.HasPrefix(v.Str, "NOPERM") {
		return v
	}
	return cluster.Value{Kind: cluster.SimpleString, Str: "<not NOPERM>"}
}

// kindOnly keeps the RESP kind of a reply (random or huge values).
func kindOnly(v cluster.Value, _ *masker) cluster.Value {
	return cluster.Value{Kind: v.Kind, Str: "<" + v.Kind.String() + ">"}
}

// sortedElems compares an array as a set: redis lists commands in the
// order of its command dict, which is a hash order that changes with
// every start.
func sortedElems(v cluster.Value, m *masker) cluster.Value {
	v = m.tokenize(v)
	out := v
	out.Elems = slices.Clone(v.Elems)
	slices.SortFunc(out.Elems, func(a, b cluster.Value) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// sortRules sorts the words of every string inside each selector: the
// single-command rules of ACL LIST and GETUSER follow redis's command
// dict order, a hash order; what they allow is the same in any order.
func sortRules(v cluster.Value, m *masker) cluster.Value {
	switch v.Kind {
	case cluster.Array, cluster.Map, cluster.Set:
		out := v
		out.Elems = make([]cluster.Value, len(v.Elems))
		for i, e := range v.Elems {
			out.Elems[i] = sortRules(e, m)
		}
		return out
	case cluster.Bulk, cluster.SimpleString:
		v.Str = sortWords(v.Str)
	}
	return v
}

func sortWords(s string) string {
	var b strings.Builder
	for s != "" {
		i := strings.IndexAny(s, "()")
		seg := s
		if i >= 0 {
			seg = s[:i]
		}
		words := strings.Fields(seg)
		slices.Sort(words)
		b.WriteString(strings.Join(words, " "))
		if i < 0 {
			break
		}
		b.WriteByte(s[i])
		s = s[i+1:]
	}
	return b.String()
}

// aclLog masks what differs between two servers in ACL LOG entries: the
// age and, in client-info, all but the command, user and name.
func aclLog(v cluster.Value, m *masker) cluster.Value {
	if v.Kind != cluster.Array {
		return v
	}
	out := v
	out.Elems = nil
	for _, e := range v.Elems {
		pairs, ok := e.Pairs()
		if !ok {
			out.Elems = append(out.Elems, e)
			continue
		}
		ne := e
		ne.Elems = nil
		for _, kv := range pairs {
			val := kv[1]
			switch kv[0].Text() {
			case "age-seconds":
				val = cluster.Value{Kind: val.Kind, Str: "<age>"}
			case "client-info":
				var keep []string
				for _, f := range strings.Fields(val.Str) {
					if k, _, _ := strings.Cut(f, "="); k == "cmd" || k == "user" || k == "name" {
						keep = append(keep, f)
					}
				}
				val.Str = strings.Join(keep, " ")
			}
			ne.Elems = append(ne.Elems, kv[0], val)
		}
		out.Elems = append(out.Elems, ne)
	}
	return out
}

// aclProbe runs every command and subcommand of redis-sentinel's table,
// with arguments that change nothing (SHUTDOWN ABORT, CLIENT PAUSE abc,
// SENTINEL SET to the value already set), so that the permission check is
// what differs from user to user.
func aclProbe() []step {
	out := steps(exact,
		cmd("PING"), cmd("PING", "hi"), cmd("ROLE"),
		cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"), cmd("SENTINEL", "RESET", "nosuch"),
		cmd("SENTINEL", "FAILOVER", "nosuch"), cmd("SENTINEL", "CKQUORUM", "nosuch"),
		cmd("SENTINEL", "MONITOR", "a", "127.0.0.1", "abc", "2"), cmd("SENTINEL", "REMOVE", "nosuch"),
		cmd("SENTINEL", "SET", "mymaster", "quorum", "2"), cmd("SENTINEL", "CONFIG", "GET", "resolve-hostnames"),
		cmd("SENTINEL", "CONFIG", "SET", "nosuch", "1"), cmd("SENTINEL", "IS-MASTER-DOWN-BY-ADDR", "127.0.0.1", "x", "0", "*"),
		cmd("SENTINEL", "INFO-CACHE", "nosuch"), cmd("SENTINEL", "PENDING-SCRIPTS"), cmd("SENTINEL", "FLUSHCONFIG"),
		cmd("SENTINEL", "SIMULATE-FAILURE", "nosuch"), cmd("SENTINEL", "HELP"), cmd("SENTINEL", "NOSUCH"),
		cmd("CLIENT", "GETNAME"), cmd("CLIENT", "SETNAME", "x"), cmd("CLIENT", "KILL", "ID", "99999"),
		cmd("CLIENT", "HELP"), cmd("CLIENT", "REPLY", "bad"), cmd("CLIENT", "NO-EVICT", "maybe"),
		cmd("CLIENT", "GETREDIR"), cmd("CLIENT", "UNPAUSE"), cmd("CLIENT", "UNBLOCK", "99999"),
		cmd("CLIENT", "KILL", "USER", "nosuch"), cmd("CLIENT", "KILL", "USER", "nosuch", "SKIPME", "maybe"),
		cmd("CLIENT", "KILL", "USER", "off", "SKIPME", "yes"),
		cmd("COMMAND", "COUNT"), cmd("COMMAND", "INFO", "ping"), cmd("COMMAND", "GETKEYS", "ping"),
		cmd("COMMAND", "HELP"),
		cmd("ACL", "WHOAMI"), cmd("ACL", "USERS"), cmd("ACL", "CAT"), cmd("ACL", "HELP"), cmd("ACL", "LOAD"),
		cmd("ACL", "SAVE"), cmd("ACL", "DRYRUN", "limited", "info"), cmd("ACL", "DELUSER", "nosuch"),
		cmd("ACL", "GETUSER", "nosuch"), cmd("ACL", "SETUSER", "bad user"),
		cmd("PUBLISH", "foo", "bar"), cmd("SHUTDOWN", "ABORT"), cmd("SHUTDOWN", "bad"),
		cmd("AUTH", "off", "opass"), cmd("HELLO", "2", "AUTH", "off", "opass"),
	)
	return append(out,
		step{cmd("INFO"), errOr(info)}, step{cmd("INFO", "server"), errOr(info)},
		step{cmd("SENTINEL", "MASTERS"), errOr(instances)}, step{cmd("SENTINEL", "MASTER", "mymaster"), errOr(instance)},
		step{cmd("SENTINEL", "REPLICAS", "mymaster"), errOr(instances)}, step{cmd("SENTINEL", "SLAVES", "mymaster"), errOr(instances)},
		step{cmd("SENTINEL", "SENTINELS", "mymaster"), errOr(instances)}, step{cmd("SENTINEL", "MYID"), errOr(runID)},
		step{cmd("SENTINEL", "DEBUG"), errOr(pairNames)},
		step{cmd("CLIENT", "ID"), errOr(anyInt)}, step{cmd("CLIENT", "LIST"), errOr(clientList)},
		step{cmd("CLIENT", "INFO"), errOr(kindOnly)},
		step{cmd("CLIENT", "PAUSE", "abc"), permOnly}, step{cmd("CLIENT", "TRACKING", "bad"), permOnly},
		step{cmd("CLIENT", "CACHING", "bad"), permOnly}, step{cmd("CLIENT", "TRACKINGINFO"), errOr(kindOnly)},
		step{cmd("COMMAND"), errOr(kindOnly)}, step{cmd("COMMAND", "DOCS", "ping"), errOr(kindOnly)},
		step{cmd("COMMAND", "LIST"), errOr(sortedElems)}, step{cmd("COMMAND", "GETKEYSANDFLAGS", "ping"), errOr(kindOnly)},
		step{cmd("ACL", "LIST"), errOr(sortRules)}, step{cmd("ACL", "GETUSER", "limited"), errOr(sortRules)},
		step{cmd("ACL", "CAT", "dangerous"), errOr(sortedElems)}, step{cmd("ACL", "GENPASS"), errOr(kindOnly)},
		step{cmd("ACL", "LOG", "1"), errOr(aclLog)},
	)
}

// aclPubsub are subscriptions checked against channel rules, each list
// on its own connection (SUBSCRIBE changes what a RESP2 client may send).
var aclPubsub = [][][]string{
	// One reply per command: channels are named one at a time (without
	// arguments the unsubscribe order is redis's dict order), and the
	// SUBSCRIBE of two channels, two replies when allowed, comes last.
	// In subscribed mode (RESP2) the permission check still comes first:
	// a denied command gets NOPERM, an allowed one the context error.
	{cmd("SUBSCRIBE", "news.1"), cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"), cmd("ROLE"), cmd("PSUBSCRIBE", "news.*"), cmd("PSUBSCRIBE", "news.x*"),
		cmd("PSUBSCRIBE", "*"), cmd("UNSUBSCRIBE", "news.1"), cmd("PUNSUBSCRIBE", "news.*"),
		cmd("PUNSUBSCRIBE", "*"), cmd("PUNSUBSCRIBE", "news.x*"), cmd("SUBSCRIBE", "news.2", "other")},
	{cmd("PUBLISH", "x1", "m"), cmd("PUBLISH", "__sentinel__:hello", "garbage"), cmd("PUBLISH", "news.1", "m"),
		cmd("SUBSCRIBE", "__sentinel__:hello"), cmd("UNSUBSCRIBE", "__sentinel__:hello")},
}

// TestACLDifferential starts a real redis-sentinel and ours with the same
// requirepass and users, logs in as each user and compares the replies to
// every command of the sentinel's table, pub/sub on allowed and denied
// channels and patterns, then ACL LOG, LIST, GETUSER and DRYRUN, and ACL
// SETUSER / DELUSER with valid and invalid rules.
func TestACLDifferential(t *testing.T) {
	c := cluster.New(t)
	mon := []cluster.Monitor{{Name: "mymaster", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}
	sc := cluster.SentinelConfig{Monitors: mon, Extra: aclUsers}
	real := c.StartSentinel(cluster.Real, "real", sc)
	ours := c.StartSentinel(cluster.Ours, "ours", sc)
	m := newMasker()
	for _, s := range []*cluster.Sentinel{real, ours} {
		m.add(strconv.Itoa(s.Port), "<sentinel-port>")
	}
	n := 0
	compare := func(rc, oc *cluster.Conn, who string, st step) {
		t.Helper()
		n++
		rv, err1 := rc.Do(st.args...)
		ov, err2 := oc.Do(st.args...)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s %q: transport: real %v, ours %v", who, st.args, err1, err2)
		}
		want, got := st.norm(rv, m).Tree(), st.norm(ov, m).Tree()
		if d := cluster.LineDiff(want, got); d != "" {
			t.Errorf("%s %q differs (- redis-sentinel, + ours):\n%s", who, st.args, d)
		}
	}
	login := func(auth []string) (*cluster.Conn, *cluster.Conn, string) {
		rc, oc := cluster.MustDial(t, real.Addr()), cluster.MustDial(t, ours.Addr())
		who := strings.Join(auth, "/")
		compare(rc, oc, who, step{append([]string{"AUTH"}, auth...), exact})
		return rc, oc, who
	}
	for _, auth := range aclLogins {
		rc, oc, who := login(auth)
		for _, st := range aclProbe() {
			compare(rc, oc, who, st)
		}
		for _, seq := range aclPubsub {
			rc, oc, who := login(auth)
			for _, args := range seq {
				compare(rc, oc, who, step{args, exact})
			}
		}
	}
	// Disconnecting clients of a deleted user, and of a user whose
	// channels were revoked.
	victimR, victimO, _ := login([]string{"chan", "cpass"})
	compare(victimR, victimO, "chan", step{cmd("SUBSCRIBE", "news.1"), exact})

	rc, oc, who := login([]string{"secret"})
	// A client of a user that DELUSER removes is disconnected.
	compare(rc, oc, who, step{cmd("ACL", "SETUSER", "doomed", "on", ">d", "+ping"), exact})
	doomedR, doomedO, _ := login([]string{"doomed", "d"})
	admin := steps(exact,
		cmd("ACL", "DRYRUN", "limited", "sentinel", "get-master-addr-by-name", "mymaster"),
		cmd("ACL", "DRYRUN", "limited", "sentinel", "set", "mymaster", "quorum", "2"),
		cmd("ACL", "DRYRUN", "chan", "subscribe", "news.1", "other"),
		cmd("ACL", "DRYRUN", "chan", "psubscribe", "news.*"),
		cmd("ACL", "DRYRUN", "sel", "publish", "x1", "m"), cmd("ACL", "DRYRUN", "sel", "publish", "y", "m"),
		cmd("ACL", "DRYRUN", "firstarg", "ping", "hi"), cmd("ACL", "DRYRUN", "firstarg", "ping"),
		cmd("ACL", "DRYRUN", "nosuch", "ping"), cmd("ACL", "DRYRUN", "limited", "nosuch"),
		cmd("ACL", "DRYRUN", "limited", "sentinel"), cmd("ACL", "DRYRUN", "limited", "sentinel", "nosuch"),
		cmd("ACL", "DRYRUN", "limited", "ping", "a", "b"), cmd("ACL", "DRYRUN", "off", "ping"),
		cmd("ACL", "SETUSER", "new"), cmd("ACL", "SETUSER", "new", "+get"), cmd("ACL", "SETUSER", "new", "bogus"),
		cmd("ACL", "SETUSER", "new", "+client|list|x"), cmd("ACL", "SETUSER", "new", "+sentinel|"),
		cmd("ACL", "SETUSER", "new", "<nopass"), cmd("ACL", "SETUSER", "new", "#abc"),
		cmd("ACL", "SETUSER", "new", "allkeys", "~x"), cmd("ACL", "SETUSER", "new", "allchannels", "&x"),
		cmd("ACL", "SETUSER", "new", "(+ping", "~x"), cmd("ACL", "SETUSER", "new", "(on)"),
		cmd("ACL", "SETUSER", "new", "%X~a"), cmd("ACL", "SETUSER", "new", "~a b"),
		cmd("ACL", "SETUSER", "new", "on", ">p", "+@all", "-@dangerous", "+sentinel|debug", "(+ping", "&c)", "%R~r", "&ch"),
		cmd("ACL", "SETUSER", "new2", "on", "nopass", "+@fast", "+@read", "-@connection", "+client|kill", "+ping|x", "+ping|y"),
		cmd("ACL", "SETUSER", "new3", "on", "nopass", "+@all", "-@admin", "-@slow", "+acl", "-acl|log", "clearselectors"),
		cmd("ACL", "SETUSER", "new4", "on", "resetpass", ">a", "skip-sanitize-payload", "sanitize-payload", "+@pubsub", "-subscribe"),
		cmd("ACL", "SETUSER", "default", "on"), cmd("ACL", "USERS"),
		cmd("ACL", "DELUSER", "default"), cmd("ACL", "DELUSER", "new4", "nosuch", "doomed"),
		cmd("ACL", "SETUSER", "chan", "resetchannels", "&other"),
		cmd("ACL", "CAT", "nosuch"), cmd("ACL", "LOG", "x"), cmd("ACL", "LOG", "-1"),
		cmd("ACL", "LOG", "1", "2"), cmd("ACL", "GENPASS", "0"), cmd("ACL", "GENPASS", "x"),
	)
	for _, st := range admin {
		compare(rc, oc, who, st)
	}
	for _, name := range []string{"default", "limited", "ping", "admin", "chan", "sel", "off", "keys", "multi",
		"firstarg", "cats", "resetme", "new", "new2", "new3"} {
		compare(rc, oc, who, step{cmd("ACL", "GETUSER", name), sortRules})
	}
	compare(rc, oc, who, step{cmd("ACL", "LIST"), sortRules})
	compare(rc, oc, who, step{cmd("ACL", "CAT", "PUBSUB"), sortedElems})
	compare(rc, oc, who, step{cmd("ACL", "GENPASS", "5"), kindOnly})
	compare(rc, oc, who, step{cmd("ACL", "LOG"), aclLog})
	compare(rc, oc, who, step{cmd("ACL", "LOG", "200"), aclLog})
	// The subscriber of "chan" lost news.* and must have been dropped.
	for _, v := range []*cluster.Conn{victimR, victimO, doomedR, doomedO} {
		v.Timeout = 2 * time.Second
		if _, err := v.Do("PING"); err == nil {
			t.Errorf("%s: subscriber of chan still connected after its channels were revoked", v.Addr)
		}
	}
	// RESP3: GETUSER is a map with a set of flags, LOG ages are doubles.
	for _, st := range []step{
		{cmd("HELLO", "3"), pairsMasking("id")},
		{cmd("ACL", "GETUSER", "sel"), sortRules}, {cmd("ACL", "GETUSER", "nosuch"), exact},
		{cmd("ACL", "LOG", "3"), aclLog}, {cmd("ACL", "DRYRUN", "limited", "info"), exact},
		{cmd("ACL", "USERS"), exact}, {cmd("ACL", "CAT"), exact},
	} {
		compare(rc, oc, who, st)
	}
	compare(rc, oc, who, step{cmd("ACL", "LOG", "RESET"), exact})
	compare(rc, oc, who, step{cmd("ACL", "LOG"), aclLog})
	t.Logf("%d replies compared", n)
	if n < 500 {
		t.Fatalf("only %d replies compared", n)
	}
}

// TestACLLimitedCannotChangeConfig: a user allowed only
// get-master-addr-by-name is refused SENTINEL SET, FLUSHCONFIG, CONFIG
// SET and SHUTDOWN, like redis-sentinel, and the config file is not
// touched.
func TestACLLimitedCannotChangeConfig(t *testing.T) {
	c := cluster.New(t)
	mon := []cluster.Monitor{{Name: "mymaster", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}
	sc := cluster.SentinelConfig{Monitors: mon, Extra: aclUsers[:2]}
	for _, impl := range []cluster.Impl{cluster.Real, cluster.Ours} {
		s := c.StartSentinel(impl, "s-"+impl.String(), sc)
		conn := cluster.MustDial(t, s.Addr())
		conn.Must(t, "AUTH", "limited", "lpass")
		// The reference is the file after the start-up rewrite (which
		// adds the sentinel's id).
		var before []byte
		if err := cluster.Poll(10*time.Second, func() error {
			b, err := os.ReadFile(s.ConfPath)
			if err != nil || !strings.Contains(string(b), "sentinel myid ") {
				return fmt.Errorf("no start-up rewrite yet (%v)", err)
			}
			before = b
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"SENTINEL", "SET", "mymaster", "quorum", "1"},
			{"SENTINEL", "FLUSHCONFIG"},
			{"SENTINEL", "CONFIG", "SET", "resolve-hostnames", "yes"},
			{"SENTINEL", "REMOVE", "mymaster"},
			{"SHUTDOWN"},
		} {
			v, err := conn.Do(args...)
			if err != nil {
				t.Fatalf("%s %q: %v", impl, args, err)
			}
			want := "NOPERM this user has no permissions to run the '" + strings.ToLower(args[0])
			if len(args) > 1 && args[0] == "SENTINEL" {
				want += "|" + strings.ToLower(args[1])
			}
			want += "' command"
			if !v.IsError() || v.Str != want {
				t.Errorf("%s %q: got %s, want -%s", impl, args, v, want)
			}
		}
		v := conn.Must(t, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if len(v.Elems) != 2 {
			t.Errorf("%s: get-master-addr-by-name: %s", impl, v)
		}
		time.Sleep(200 * time.Millisecond)
		after, err := os.ReadFile(s.ConfPath)
		if err != nil {
			t.Fatal(err)
		}
		if string(after) != string(before) {
			t.Errorf("%s: config file changed:\n%s", impl, cluster.LineDiff(string(before), string(after)))
		}
		if !strings.Contains(string(after), "sentinel monitor mymaster 127.0.0.1") ||
			!strings.Contains(string(after), " 2\n") {
			t.Errorf("%s: monitor line lost:\n%s", impl, after)
		}
	}
}

// TestACLPubsubDefaultAllChannels: with "acl-pubsub-default allchannels"
// new users and "reset" allow every channel, in the file and at run time.
func TestACLPubsubDefaultAllChannels(t *testing.T) {
	c := cluster.New(t)
	mon := []cluster.Monitor{{Name: "mymaster", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}
	sc := cluster.SentinelConfig{Monitors: mon, Extra: []string{
		"acl-pubsub-default allchannels",
		"acllog-max-len 2",
		"user pub on nopass +@pubsub",
		"user narrowed on nopass +@pubsub resetchannels &a*",
	}}
	real := c.StartSentinel(cluster.Real, "real", sc)
	ours := c.StartSentinel(cluster.Ours, "ours", sc)
	m := newMasker()
	rc, oc := cluster.MustDial(t, real.Addr()), cluster.MustDial(t, ours.Addr())
	for _, st := range []step{
		{cmd("ACL", "SETUSER", "later", "on", "nopass", "+publish"), exact},
		{cmd("ACL", "SETUSER", "again", "reset", "on", "nopass", "+publish"), exact},
		{cmd("ACL", "SETUSER", "later2", "&x"), exact},
		{cmd("ACL", "LIST"), sortRules},
		{cmd("ACL", "DRYRUN", "pub", "subscribe", "anything"), exact},
		{cmd("ACL", "DRYRUN", "narrowed", "subscribe", "b"), exact},
		{cmd("ACL", "DRYRUN", "later", "publish", "any", "m"), exact},
		{cmd("AUTH", "narrowed", "x"), exact},
		{cmd("PUBLISH", "b1", "m"), exact}, {cmd("PUBLISH", "b2", "m"), exact}, {cmd("PUBLISH", "b3", "m"), exact},
		{cmd("AUTH", "default", "x"), exact},
		{cmd("ACL", "LOG"), aclLog},
	} {
		rv, err1 := rc.Do(st.args...)
		ov, err2 := oc.Do(st.args...)
		if err1 != nil || err2 != nil {
			t.Fatalf("%q: real %v, ours %v", st.args, err1, err2)
		}
		if d := cluster.LineDiff(st.norm(rv, m).Tree(), st.norm(ov, m).Tree()); d != "" {
			t.Errorf("%q differs (- redis-sentinel, + ours):\n%s", st.args, d)
		}
	}
}
