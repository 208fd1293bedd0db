package sentinelconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/sentinel"
)

const (
	idConf  = "1111111111111111111111111111111111111111"
	idState = "2222222222222222222222222222222222222222"
)

func TestStateConfigFileOverridesAndSaves(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	state := filepath.Join(dir, "state.conf")
	// A config rewritten by redis-sentinel before (runtime lines in it),
	// then given a state-config-file: the first save migrates them.
	main := "port 26379\nsentinel state-config-file " + state + "\n" +
		"sentinel myid " + idConf + "\n" +
		"sentinel monitor a 10.0.0.1 6379 2\nsentinel down-after-milliseconds a 5000\n" +
		"sentinel config-epoch a 1\nsentinel known-replica a 10.0.0.2 6379\n" +
		"sentinel monitor b 10.0.1.1 6379 2\n"
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if f.StateConfigFile != state || f.Sentinel.MyID != idConf || len(f.Sentinel.Masters) != 2 {
		t.Fatalf("without a state file yet: %q %q %d masters", f.StateConfigFile, f.Sentinel.MyID, len(f.Sentinel.Masters))
	}
	store := &ConfStore{Path: conf, File: f, StatePath: state}
	if err := store.Save(&f.Sentinel); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(conf); string(got) != main {
		t.Fatalf("the config file was rewritten:\n%s", got)
	}
	st, err := os.Stat(state)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", st, err)
	}
	saved, _ := os.ReadFile(state)
	for _, l := range strings.Split(strings.TrimSpace(string(saved)), "\n")[1:] {
		if !strings.HasPrefix(l, "sentinel ") || strings.Contains(l, "state-config-file") {
			t.Fatalf("state line %q", l)
		}
	}
	if !strings.Contains(string(saved), "sentinel myid "+idConf) || !strings.Contains(string(saved), "sentinel known-replica a 10.0.0.2 6379") {
		t.Fatalf("state file lacks the migrated state:\n%s", saved)
	}

	// The state moves on: a failover of a, a new master c from SENTINEL
	// MONITOR, another id (as if edited).
	f.Sentinel.MyID = idState
	f.Sentinel.Masters[0].Addr = sentinel.Addr{Host: "10.0.0.2", Port: 6379}
	f.Sentinel.Masters[0].ConfigEpoch = 2
	f.Sentinel.Masters[0].KnownReplicas = []sentinel.Addr{{Host: "10.0.0.1", Port: 6379}}
	f.Sentinel.Masters = append(f.Sentinel.Masters, sentinel.MasterState{MasterConfig: sentinel.MasterConfig{
		Name: "c", Addr: sentinel.Addr{Host: "10.0.2.1", Port: 6379}, Quorum: 1}})
	if err := store.Save(&f.Sentinel); err != nil {
		t.Fatal(err)
	}
	// The operator adds master d to the config file meanwhile.
	if err := os.WriteFile(conf, []byte(main+"sentinel monitor d 10.0.3.1 6379 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := ParseFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]sentinel.MasterState{}
	for _, m := range g.Sentinel.Masters {
		byName[m.Name] = m
	}
	a := byName["a"]
	switch {
	case g.Sentinel.MyID != idState:
		t.Errorf("myid %s", g.Sentinel.MyID)
	case a.Addr.Host != "10.0.0.2" || a.ConfigEpoch != 2 || len(a.KnownReplicas) != 1 || a.KnownReplicas[0].Host != "10.0.0.1":
		t.Errorf("a: %+v", a)
	case a.DownAfter.Milliseconds() != 5000:
		t.Errorf("a lost the config file's option: %+v", a.MasterConfig)
	case byName["b"].Addr.Host != "10.0.1.1" || byName["c"].Addr.Host != "10.0.2.1" || byName["d"].Addr.Host != "10.0.3.1":
		t.Errorf("masters %+v", byName)
	}
}

func TestStateConfigFileRefusals(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.conf")
	for _, c := range []struct{ state, want string }{
		{"port 26380\n", "Only sentinel lines belong in a state-config-file."},
		{"sentinel state-config-file /x\n", "state-config-file cannot be set in the state-config-file itself."},
		{"sentinel known-replica nosuch 10.0.0.1 6379\n", "No such master with specified name."},
	} {
		if err := os.WriteFile(state, []byte(c.state), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Parse("s.conf", []byte("sentinel state-config-file "+state+"\nsentinel monitor a 10.0.0.1 6379 2\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("state %q: %v, want %q", c.state, err, c.want)
		}
	}
	if _, err := Parse("s.conf", []byte("sentinel state-config-file\n")); err == nil {
		t.Error("state-config-file without a path accepted")
	}
}
