package commandtable

import "testing"

// The tables are parsed on first use by the RESP server, so a bad capture
// would only show when a client first asks; parse them here instead.
func TestTablesParse(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Names()) != 15 || len(tab.docs) != 15 {
		t.Fatalf("%d commands, %d docs; want redis-sentinel 7.0's 15", len(tab.Names()), len(tab.docs))
	}
	for _, n := range tab.Names() {
		if _, ok := tab.Docs(n); !ok {
			t.Errorf("no docs for %s", n)
		}
	}
}

// TestLookup: a subcommand is found under its parent in both tables, in
// any case, but only Info and Docs look there: Entry is top-level only
// (COMMAND GETKEYS relies on it).
func TestLookup(t *testing.T) {
	tab, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ping", "SENTINEL|MyID", "client|kill", "acl|setuser"} {
		v, ok := tab.Info(name)
		if !ok || v.Kind != '*' {
			t.Errorf("Info(%q): %v %c", name, ok, v.Kind)
		}
		if d, ok := tab.Docs(name); !ok || d.Kind != '%' {
			t.Errorf("Docs(%q): %v %c", name, ok, d.Kind)
		}
	}
	if v, _ := tab.Info("sentinel|myid"); v.Name() != "sentinel|myid" {
		t.Errorf("Info(sentinel|myid) is %q", v.Name())
	}
	for _, name := range []string{"get", "sentinel|nosuch", "nosuch|myid", "ping|x"} {
		if _, ok := tab.Info(name); ok {
			t.Errorf("Info(%q) found", name)
		}
	}
	if _, ok := tab.Entry("sentinel|myid"); ok {
		t.Error("Entry found a subcommand")
	}
	if _, ok := tab.Entry("sentinel"); !ok {
		t.Error("Entry lost sentinel")
	}
}

// TestACLCatalog: the catalog has redis's categories, subcommands and
// no_auth flags from the capture.
func TestACLCatalog(t *testing.T) {
	cat, err := ACLCatalog()
	if err != nil {
		t.Fatal(err)
	}
	if c := cat.Lookup("sentinel|set"); c == nil {
		t.Fatal("no sentinel|set")
	}
	names, ok := cat.InCategory("admin")
	if !ok || len(names) == 0 {
		t.Errorf("@admin: %v %q", ok, names)
	}
	all, err := commands()
	if err != nil {
		t.Fatal(err)
	}
	noAuth := map[string]bool{}
	for _, e := range all.Elems {
		spec, err := commandSpec(e)
		if err != nil {
			t.Fatal(err)
		}
		noAuth[spec.Name] = spec.NoAuth
	}
	if !noAuth["auth"] || !noAuth["hello"] || noAuth["ping"] || len(noAuth) != 15 {
		t.Errorf("no_auth flags: %v", noAuth)
	}
}

// TestParseRejects: a truncated or malformed capture is an error, not a
// short table.
func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "*2\r\n:1\r\n", "$5\r\nab\r\n", ":x\r\n", "!3\r\nabc\r\n", "*x\r\n"} {
		if _, _, err := parse([]byte(in)); err == nil {
			t.Errorf("parse(%q) accepted", in)
		}
	}
	v, rest, err := parse([]byte("%1\r\n+k\r\n~2\r\n:7\r\n_\r\nnext"))
	if err != nil || string(rest) != "next" || v.Kind != '%' || len(v.Elems) != 2 || v.Elems[1].Elems[0].Num != 7 {
		t.Errorf("parse map: %+v %q %v", v, rest, err)
	}
}
