package acl

import (
	"strings"
	"testing"
	"time"
)

// testCatalog is a small table shaped like redis-sentinel's: a container
// with subcommands of mixed categories, pub/sub commands and a no_auth one.
func testCatalog(t *testing.T) *Catalog {
	t.Helper()
	cat, err := NewCatalog([]CommandSpec{
		{Name: "ping", Categories: []string{"@fast", "@connection"}},
		{Name: "sentinel", Categories: []string{"@admin", "@slow", "@dangerous"}, Subcommands: []CommandSpec{
			{Name: "sentinel|masters", Categories: []string{"@admin", "@slow", "@dangerous"}},
			{Name: "sentinel|set", Categories: []string{"@admin", "@slow", "@dangerous"}},
			{Name: "sentinel|get-master-addr-by-name", Categories: []string{"@admin", "@slow", "@dangerous"}},
		}},
		{Name: "subscribe", Categories: []string{"@pubsub", "@slow"}},
		{Name: "psubscribe", Categories: []string{"@pubsub", "@slow"}},
		{Name: "publish", Categories: []string{"@pubsub", "@fast"}},
		{Name: "auth", Categories: []string{"@fast", "@connection"}, NoAuth: true},
		{Name: "client", Categories: []string{"@slow"}, Subcommands: []CommandSpec{
			{Name: "client|list", Categories: []string{"@admin", "@slow", "@dangerous"}},
			{Name: "client|setname", Categories: []string{"@slow", "@connection"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestNewCatalogRefusesUnknownCategory(t *testing.T) {
	if _, err := NewCatalog([]CommandSpec{{Name: "x", Categories: []string{"@nosuch"}}}); err == nil {
		t.Fatal("unknown category accepted")
	}
}

func TestSetUserDescribe(t *testing.T) {
	h := HashPassword("p")
	for _, tc := range []struct {
		rules []string
		want  string // ACL LIST line after "user u ", or "ERR text"
	}{
		{nil, "off resetchannels -@all"},
		{[]string{"on", ">p", "-@all", "+sentinel|get-master-addr-by-name"}, "on #" + h + " resetchannels -@all +sentinel|get-master-addr-by-name"},
		{[]string{"on", "nopass", "+ping"}, "on nopass resetchannels -@all +ping"},
		{[]string{"+@all", "-sentinel|set", "&foo*", "~*"}, "off ~* resetchannels &foo* +@all -sentinel|set"},
		// Descriptions are redis's best fit, not the rules as given: here
		// @admin and @dangerous hold the same commands and @admin comes
		// first; enabling a container enables its subcommands.
		{[]string{"allcommands", "-@dangerous"}, "off resetchannels +@all -@admin"},
		{[]string{"+@pubsub"}, "off resetchannels -@all +@pubsub"},
		{[]string{"+sentinel"}, "off resetchannels -@all +@admin -client|list"},
		{[]string{"+@all", "-@slow", "+client|setname"}, "off resetchannels +@all -@admin -@pubsub +publish -client +client|setname"},
		{[]string{"+ping|hi", "+ping|HI", "+ping|x"}, "off resetchannels -@all +ping|hi +ping|x"},
		{[]string{"+ping|hi", "+ping"}, "off resetchannels -@all +ping"},
		{[]string{">p", ">q", "<q"}, "off #" + h + " resetchannels -@all"},
		{[]string{"#" + h, "!" + h}, "off resetchannels -@all"},
		{[]string{">p", "nopass"}, "off nopass resetchannels -@all"},
		{[]string{"nopass", "resetpass"}, "off resetchannels -@all"},
		{[]string{"~a", "%R~b", "%W~c", "%RW~d", "%R~a"}, "off ~a %R~b %W~c ~d resetchannels -@all"},
		{[]string{"~a", "allkeys"}, "off ~* resetchannels -@all"},
		{[]string{"~a", "resetkeys", "~b"}, "off ~b resetchannels -@all"},
		{[]string{"&a", "&a", "allchannels"}, "off &* -@all"},
		{[]string{"allchannels", "resetchannels", "&b"}, "off resetchannels &b -@all"},
		{[]string{"on", "skip-sanitize-payload"}, "on skip-sanitize-payload resetchannels -@all"},
		{[]string{"on", ">p", "+@all", "~*", "&a", "reset"}, "off sanitize-payload resetchannels -@all"},
		{[]string{"+ping", "(+sentinel|masters ~x)", "(&c* +publish)"}, "off resetchannels -@all +ping (~x resetchannels -@all +sentinel|masters) (resetchannels &c* -@all +publish)"},
		{[]string{"(+ping)", "clearselectors"}, "off resetchannels -@all"},
		{[]string{"ON", "NOPASS", "+PING", "+@PUBSUB"}, "on nopass resetchannels -@all +@pubsub +ping"},
		{[]string{""}, "off resetchannels -@all"},

		{[]string{"+get"}, "ERR Error in ACL SETUSER modifier '+get': Unknown command or category name in ACL"},
		{[]string{"-ping|x"}, "ERR Error in ACL SETUSER modifier '-ping|x': Unknown command or category name in ACL"},
		{[]string{"+@nosuch"}, "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"},
		{[]string{"+sentinel|nosuch"}, "ERR Error in ACL SETUSER modifier '+sentinel|nosuch': Unknown command or category name in ACL"},
		{[]string{"+sentinel|"}, "ERR Error in ACL SETUSER modifier '+sentinel|': Syntax error"},
		{[]string{"+client|list|x"}, "ERR Error in ACL SETUSER modifier '+client|list|x': Allowing first-arg of a subcommand is not supported"},
		{[]string{"bogus"}, "ERR Error in ACL SETUSER modifier 'bogus': Syntax error"},
		{[]string{"#abc"}, "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{[]string{"<nope"}, "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"},
		{[]string{"allkeys", "~x"}, "ERR Error in ACL SETUSER modifier '~x': " + errKeyAfterAll.Error()},
		{[]string{"allchannels", "&x"}, "ERR Error in ACL SETUSER modifier '&x': " + errChannelAfterAll.Error()},
		{[]string{"%X~a"}, "ERR Error in ACL SETUSER modifier '%X~a': Syntax error"},
		{[]string{"(on)"}, "ERR Error in ACL SETUSER modifier '(on)': Syntax error"},
		{[]string{"(+ping", "~x"}, "ERR Unmatched parenthesis in acl selector starting at '(+ping'."},
	} {
		tab := NewTable(testCatalog(t), Options{})
		_, _, err := tab.SetUser("u", tc.rules)
		got := ""
		if err != nil {
			got = "ERR " + err.Error()
		} else {
			for _, l := range tab.List() {
				if after, ok := strings.CutPrefix(l, "user u "); ok {
					got = after
				}
			}
		}
		if got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.rules, got, tc.want)
		}
	}
}

func TestSetUserIsAllOrNothing(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	if _, _, err := tab.SetUser("u", []string{"on", "+ping"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.SetUser("u", []string{"+@all", "bogus"}); err == nil {
		t.Fatal("bad rule accepted")
	}
	if got := tab.List()[1]; got != "user u on resetchannels -@all +ping" {
		t.Errorf("user changed by a failed SETUSER: %s", got)
	}
	if _, _, err := tab.SetUser("a b", nil); err == nil || err.Error() != "Usernames can't contain spaces or null characters" {
		t.Errorf("user name with a space: %v", err)
	}
}

func TestCheck(t *testing.T) {
	cat := testCatalog(t)
	args := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	for _, tc := range []struct {
		rules []string
		cmd   string // full name
		args  string
		want  Result
		pos   int
	}{
		{[]string{"-@all", "+sentinel|get-master-addr-by-name"}, "sentinel|get-master-addr-by-name", "sentinel get-master-addr-by-name m", OK, 0},
		{[]string{"-@all", "+sentinel|get-master-addr-by-name"}, "sentinel|set", "sentinel set m quorum 2", DeniedCommand, 0},
		{[]string{"-@all", "+sentinel|get-master-addr-by-name"}, "ping", "ping", DeniedCommand, 0},
		{[]string{"-@all"}, "auth", "auth x", OK, 0}, // no_auth commands are always allowed
		{[]string{"+@all", "-sentinel|set"}, "sentinel|set", "sentinel set m q 2", DeniedCommand, 0},
		{[]string{"+@all", "-sentinel|set"}, "sentinel|masters", "sentinel masters", OK, 0},
		{[]string{"+@all", "-sentinel"}, "sentinel|masters", "sentinel masters", DeniedCommand, 0},
		{[]string{"-@all", "+sentinel"}, "sentinel|set", "sentinel set", OK, 0},
		{[]string{"+@all", "-@dangerous", "+client|setname"}, "client|setname", "client setname x", OK, 0},
		{[]string{"+@all", "-@dangerous"}, "client|list", "client list", DeniedCommand, 0},
		{[]string{"-@all", "+ping|hi"}, "ping", "ping hi", OK, 0},
		{[]string{"-@all", "+ping|hi"}, "ping", "ping HI", OK, 0},
		{[]string{"-@all", "+ping|hi"}, "ping", "ping", DeniedCommand, 0},
		{[]string{"-@all", "+ping|hi"}, "ping", "ping ho", DeniedCommand, 0},
		{[]string{"+@all", "resetchannels", "&news.*"}, "subscribe", "subscribe news.1 news.2", OK, 0},
		{[]string{"+@all", "resetchannels", "&news.*"}, "subscribe", "subscribe news.1 other x", DeniedChannel, 2},
		{[]string{"+@all", "resetchannels", "&news.*"}, "psubscribe", "psubscribe news.*", OK, 0},
		{[]string{"+@all", "resetchannels", "&news.*"}, "psubscribe", "psubscribe news.1", DeniedChannel, 1},
		{[]string{"+@all", "resetchannels", "&news.*"}, "publish", "publish news.x m", OK, 0},
		{[]string{"+@all", "resetchannels", "&news.*"}, "publish", "publish other m", DeniedChannel, 1},
		{[]string{"+@all", "allchannels"}, "publish", "publish other m", OK, 0},
		{[]string{"+@all", "resetkeys", "~x"}, "sentinel|masters", "sentinel masters", OK, 0}, // no keys to check
		// Selectors: any one allowing is enough; the most specific denial
		// is reported.
		{[]string{"-@all", "+ping", "(+publish &x*)"}, "publish", "publish x1 m", OK, 0},
		{[]string{"-@all", "+ping", "(+publish &x*)"}, "publish", "publish y m", DeniedChannel, 1},
		{[]string{"-@all", "+ping", "(+sentinel|masters)"}, "sentinel|masters", "sentinel masters", OK, 0},
		{[]string{"-@all", "+ping", "(+sentinel|masters)"}, "sentinel|set", "sentinel set", DeniedCommand, 0},
	} {
		tab := NewTable(cat, Options{})
		if _, _, err := tab.SetUser("u", tc.rules); err != nil {
			t.Fatalf("%q: %v", tc.rules, err)
		}
		cmd := cat.Lookup(tc.cmd)
		res, pos := tab.User("u").Check(cmd, args(tc.args))
		if res != tc.want || pos != tc.pos {
			t.Errorf("%q %s: got %v at %d, want %v at %d", tc.rules, tc.args, res, pos, tc.want, tc.pos)
		}
	}
}

func TestDenialTexts(t *testing.T) {
	cat := testCatalog(t)
	set := cat.Lookup("sentinel|set")
	if got := Denial(DeniedCommand, set); got != "NOPERM this user has no permissions to run the 'sentinel|set' command" {
		t.Error(got)
	}
	if got := Denial(DeniedChannel, cat.Lookup("publish")); got != "NOPERM this user has no permissions to access one of the channels used as arguments" {
		t.Error(got)
	}
	pub := [][]byte{[]byte("publish"), []byte("ch"), []byte("m")}
	if got := DryRunDenial(DeniedChannel, cat.Lookup("publish"), pub, 1); got != "This user has no permissions to access the 'ch' channel" {
		t.Error(got)
	}
	if got := DryRunDenial(DeniedCommand, set, nil, 0); got != "This user has no permissions to run the 'sentinel|set' command" {
		t.Error(got)
	}
}

func TestAuthenticate(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	if !tab.Authenticate("default", "anything") {
		t.Error("default user is nopass at first")
	}
	tab.SetDefaultPassword("secret")
	for _, tc := range []struct {
		user, pass string
		ok         bool
	}{
		{"default", "secret", true}, {"default", "x", false},
		{"on", "p", true}, {"on", "q", false}, {"off", "p", false}, {"nosuch", "p", false}, {"np", "", true},
	} {
		if tc.user == "on" || tc.user == "off" || tc.user == "np" {
			rules := map[string][]string{"on": {"on", ">p"}, "off": {"off", ">p"}, "np": {"on", "nopass"}}[tc.user]
			if _, _, err := tab.SetUser(tc.user, rules); err != nil {
				t.Fatal(err)
			}
		}
		if got := tab.Authenticate(tc.user, tc.pass); got != tc.ok {
			t.Errorf("%s/%s: got %v", tc.user, tc.pass, got)
		}
	}
}

func TestLoad(t *testing.T) {
	cat := testCatalog(t)
	tab := NewTable(cat, Options{})
	tab.SetDefaultPassword("secret")
	// "user default" starts from a reset user: requirepass is gone.
	if err := tab.Load([][]string{{"default", "on", ">x", "+@all"}, {"u", "on", "nopass", "(+ping", "~k)"}}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"user default on sanitize-payload #" + HashPassword("x") + " resetchannels +@all",
		"user u on nopass resetchannels -@all (~k resetchannels -@all +ping)",
	}
	if got := tab.List(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	err := NewTable(cat, Options{}).Load([][]string{{"u", "on", "+get"}})
	le, ok := err.(*LoadError)
	if !ok || strings.Join(le.Lines, "\n") != "Error loading ACL rule '+get' for the user named 'u': Unknown command or category name in ACL\nCritical error while loading ACLs. Exiting." {
		t.Errorf("unknown command: %v", err)
	}
	if err := NewTable(cat, Options{}).Load([][]string{{"a b", "on"}}); err == nil || !strings.Contains(err.Error(), "Spaces not allowed in ACL usernames") {
		t.Errorf("spaces: %v", err)
	}
}

func TestPubsubDefault(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{PubsubAllChannels: true})
	if _, _, err := tab.SetUser("u", []string{"on", "+publish"}); err != nil {
		t.Fatal(err)
	}
	if got := tab.List()[1]; got != "user u on &* -@all +publish" {
		t.Errorf("acl-pubsub-default allchannels: %s", got)
	}
	if _, _, err := tab.SetUser("u", []string{"&x"}); err == nil {
		t.Error("&x after the default allchannels accepted")
	}
}

func TestValidateUserLine(t *testing.T) {
	cat := testCatalog(t)
	seen := map[string]bool{"dup": true}
	for _, tc := range []struct {
		line string
		want string
	}{
		{"user u on >p +ping", ""},
		{"user u on +get", ""}, // unknown commands fail later, at load
		{"user u on badrule", "Error in user declaration 'u': Syntax error"},
		// redis quotes the directive's word at the index of the bad rule
		// among the (merged) rules, not the rule itself.
		{"user u on (+ping ~x) (badr)", "Error in user declaration 'on': Syntax error"},
		{"user u on #abc", "Error in user declaration 'u': " + errBadHash.Error()},
		{"user u on (+ping", "Error in user declaration 'u': Unknown command or category name in ACL"},
		{"user u on +client|list|x", "Error in user declaration 'u': Allowing first-arg of a subcommand is not supported"},
		{"user dup on", "Error in user declaration 'dup': Duplicate user found. A user can only be defined once in config files"},
	} {
		if got := ValidateUserLine(cat, Options{}, strings.Fields(tc.line), seen); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
}

func TestLogGroupsAndTrims(t *testing.T) {
	l := newLog(2)
	t0 := time.Unix(1000, 0)
	l.Add(LogEntry{Reason: "command", Context: ContextToplevel, Object: "info", Username: "u", Time: t0, ClientInfo: "a"})
	l.Add(LogEntry{Reason: "command", Context: ContextToplevel, Object: "role", Username: "u", Time: t0})
	l.Add(LogEntry{Reason: "command", Context: ContextToplevel, Object: "info", Username: "u", Time: t0.Add(time.Second), ClientInfo: "b"})
	e := l.Entries(10)
	if len(e) != 2 || e[0].Object != "info" || e[0].Count != 2 || e[0].ClientInfo != "b" || e[1].Object != "role" {
		t.Fatalf("grouping: %+v", e)
	}
	// More than a minute later: a new entry; the oldest goes.
	l.Add(LogEntry{Reason: "command", Context: ContextToplevel, Object: "info", Username: "u", Time: t0.Add(2 * time.Minute)})
	e = l.Entries(10)
	if len(e) != 2 || e[0].Count != 1 || e[1].Object != "info" || e[1].Count != 2 {
		t.Fatalf("window: %+v", e)
	}
	if len(l.Entries(-1)) != 0 || len(l.Entries(1)) != 1 {
		t.Error("count")
	}
	l.Reset()
	if len(l.Entries(10)) != 0 {
		t.Error("reset")
	}
}

func TestDelUser(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	tab.SetUser("a", nil)
	if _, err := tab.DelUser([]string{"a", "default"}); err != ErrDeleteDefault {
		t.Fatalf("default: %v", err)
	}
	if tab.User("a") == nil {
		t.Fatal("a deleted although the command failed")
	}
	gone, err := tab.DelUser([]string{"a", "nosuch"})
	if err != nil || len(gone) != 1 || tab.User("a") != nil {
		t.Fatalf("got %v %v", gone, err)
	}
}

func TestChannelsAllowed(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	_, u, _ := tab.SetUser("u", []string{"&news.*", "(&x)"})
	for _, tc := range []struct {
		ch, pat []string
		ok      bool
	}{
		{[]string{"news.1", "x"}, nil, true},
		{[]string{"other"}, nil, false},
		{nil, []string{"news.*"}, true},
		{nil, []string{"news.1*"}, false},
	} {
		if got := u.ChannelsAllowed(tc.ch, tc.pat); got != tc.ok {
			t.Errorf("%v %v: got %v", tc.ch, tc.pat, got)
		}
	}
}

func TestMergeSelectors(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		bad  int
	}{
		{"on (+ping ~x) off", "on|(+ping ~x)|off", -1},
		{"(+ping (~x) y", "(+ping (~x)|y", -1},
		{"(a (b c)", "(b c)", -1},
		{"(a b", "", 0},
	} {
		got, bad := mergeSelectors(strings.Fields(tc.in))
		if strings.Join(got, "|") != tc.want || bad != tc.bad {
			t.Errorf("%s: got %q %d", tc.in, got, bad)
		}
	}
}

func TestWarnings(t *testing.T) {
	var warns, notices []string
	tab := NewTable(testCatalog(t), Options{
		Warn:   func(m string) { warns = append(warns, m) },
		Notice: func(m string) { notices = append(notices, m) },
	})
	if err := tab.Load([][]string{{"u", "off", "+ping|hi", "+sentinel|masters"}}); err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.HasSuffix(warns[0], "(offender: +ping|hi)") {
		t.Errorf("warnings: %q", warns)
	}
	if len(notices) != 1 || !strings.HasPrefix(notices[0], "The user 'u' is disabled") {
		t.Errorf("notices: %q", notices)
	}
}

// TestErrorTextStopsAtNUL: redis prints rules with %s, so an error about
// a rule with a NUL byte shows the rule up to it.
func TestErrorTextStopsAtNUL(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	_, _, err := tab.SetUser("u", []string{"~a\x00b"})
	if err == nil || err.Error() != "Error in ACL SETUSER modifier '~a': Syntax error" {
		t.Errorf("got %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	tab := NewTable(testCatalog(t), Options{})
	tab.SetDefaultPassword("secret")
	tab.SetUser("old", []string{"on", "nopass"})
	// "user  b": the empty name between the two spaces is a user, with
	// the rule "b".
	_, err := tab.LoadFile("f.acl", []byte("user a on bogus +get\nuser  b\nuser a on\n"))
	want := "f.acl:1: Syntax error. f.acl:1: Error in applying operation '+get': Unknown command or category name in ACL. f.acl:2: Syntax error. WARNING: Duplicate user 'a' found on line 3. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if tab.User("old") == nil {
		t.Fatal("a failed load changed the users")
	}
	dropped, err := tab.LoadFile("f.acl", []byte("\r\nuser a on nopass  +ping\n"))
	if err != nil || len(dropped) != 1 || dropped[0] != "old" {
		t.Fatalf("got %v %v", dropped, err)
	}
	// No default user in the file: redis's initial one, requirepass gone.
	if got := strings.Join(tab.List(), "\n"); got != "user a on nopass resetchannels -@all +ping\nuser default on nopass ~* &* +@all" {
		t.Errorf("after load:\n%s", got)
	}
	if string(tab.Save()) != "user a on nopass resetchannels -@all +ping\nuser default on nopass ~* &* +@all\n" {
		t.Errorf("save: %q", tab.Save())
	}
}
