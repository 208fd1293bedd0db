package sentinelconf

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sdsargs"
	"github.com/qsentinel/qsentinel/sentinel"
)

// memStore keeps the last config a Sentinel saved.
type memStore struct {
	mu   sync.Mutex
	last sentinel.Config
}

var _ sentinel.Store = (*memStore)(nil)

func (m *memStore) Save(c *sentinel.Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last = *c
	return nil
}

func (m *memStore) master(t *testing.T) sentinel.MasterConfig {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.last.Masters) != 1 {
		t.Fatalf("saved masters: %+v", m.last.Masters)
	}
	return m.last.Masters[0].MasterConfig
}

// newSentinel is a Sentinel that is never run: enough for SET, DEBUG and
// the views, which only touch its state.
func newSentinel(t *testing.T, cfg sentinel.Config) (*sentinel.Sentinel, *memStore) {
	t.Helper()
	st := &memStore{}
	s, err := sentinel.New(cfg, sentinel.Options{Store: st, Dialer: redislink.NewFakeNet(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// optionSample is a value of each per-master option that is not its
// default, and how the views show it ("" when they do not).
type optionSample struct {
	vals []string
	view string
}

func optionSamples(script string) map[string]optionSample {
	return map[string]optionSample{
		"quorum":                          {[]string{"3"}, "3"},
		"down-after-milliseconds":         {[]string{"5000"}, "5000"},
		"failover-timeout":                {[]string{"10000"}, "10000"},
		"parallel-syncs":                  {[]string{"3"}, "3"},
		"notification-script":             {[]string{script}, script},
		"client-reconfig-script":          {[]string{script}, script},
		"auth-pass":                       {[]string{"pa ss"}, ""},
		"auth-user":                       {[]string{"us\"er"}, ""},
		"master-reboot-down-after-period": {[]string{"7000"}, ""},
		"rename-command":                  {[]string{"CONFIG", "GUESSME"}, ""},
		"fence-min-replicas":              {[]string{"1"}, ""},
		"fence-max-lag":                   {[]string{"3"}, ""},
		"maintenance":                     {[]string{"yes"}, ""},
		"fail-closed":                     {[]string{"no"}, ""},
		"failover-block-period":           {[]string{"60000"}, ""},
		"pre-failover-script":             {[]string{script}, ""},
	}
}

// TestMasterOptionsEveryPath: every option of the table, set through
// each path (a .conf line, a YAML key, SENTINEL SET), gives the same
// MasterConfig; the rewrite writes it back as a line that parses to the
// same again; and SENTINEL MASTER shows the value given. A new option
// without a sample fails here, so it cannot skip a path.
func TestMasterOptionsEveryPath(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s p.sh") // a space: the rewrite must quote it
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	samples := optionSamples(script)
	for _, o := range sentinel.MasterOptions {
		t.Run(o.Name, func(t *testing.T) {
			sample, ok := samples[o.Name]
			if !ok {
				t.Fatalf("no sample value for %s: add one", o.Name)
			}
			if len(sample.vals) != o.Args {
				t.Fatalf("sample %q for %d values", sample.vals, o.Args)
			}
			base := "sentinel monitor m 127.0.0.1 6379 2\n"
			text := base + "sentinel " + o.Name + " m " + sdsargs.Join(sample.vals...) + "\n"
			if !o.Directive { // quorum: the monitor line's last argument
				text = "sentinel monitor m 127.0.0.1 6379 " + sample.vals[0] + "\n"
			}
			f, err := Parse("t.conf", []byte(text))
			if err != nil {
				t.Fatalf(".conf: %v", err)
			}
			want := f.Sentinel.Masters[0].MasterConfig
			if reflect.DeepEqual(want, mustParse(t, base).Sentinel.Masters[0].MasterConfig) {
				t.Fatalf(".conf: %q changed nothing", text)
			}

			if o.YAMLKey != "" {
				y := fmt.Sprintf("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: 2\n    %s: %q\n", o.YAMLKey, sample.vals[0])
				if o.YAMLKey == "quorum" {
					y = fmt.Sprintf("masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: %s\n", sample.vals[0])
				}
				yf, _, err := LoadYAML(writeYAML(t, y), "QSTEST")
				if err != nil {
					t.Fatalf("YAML: %v", err)
				}
				if got := yf.Sentinel.Masters[0].MasterConfig; !reflect.DeepEqual(got, want) {
					t.Errorf("YAML %s: %+v, .conf: %+v", o.YAMLKey, got, want)
				}
			} else if o.Args == 1 {
				t.Errorf("%s has no YAML key", o.Name)
			}

			cfg := mustParse(t, base).Sentinel
			cfg.DenyScriptsReconfig = false
			s, st := newSentinel(t, cfg)
			if o.Settable {
				if err := s.Set("m", append([]string{o.Name}, sample.vals...)); err != nil {
					t.Fatalf("SET: %v", err)
				}
				// A running master has its defaults filled in (WithDefaults).
				if got := st.master(t); !reflect.DeepEqual(got, want.WithDefaults(cfg.Timing)) {
					t.Errorf("SET: %+v, .conf: %+v", got, want)
				}
			}

			out := string(Rewrite(strings.Split(text, "\n"), &f.Sentinel))
			line := "sentinel " + o.Name + " m " + sdsargs.Join(sample.vals...)
			if !o.Directive {
				line = "sentinel monitor m 127.0.0.1 6379 " + sample.vals[0]
			}
			if !strings.Contains(out, line+"\n") {
				t.Errorf("rewrite lacks %q:\n%s", line, out)
			}
			again := mustParse(t, out).Sentinel.Masters[0].MasterConfig
			if !reflect.DeepEqual(again, want) {
				t.Errorf("rewrite read back: %+v, want %+v", again, want)
			}

			s, _ = newSentinel(t, f.Sentinel)
			v, err := s.Master("m")
			if err != nil {
				t.Fatal(err)
			}
			got, shown := v.Get(o.Name)
			if shown != (o.View != sentinel.ViewHidden) || got != sample.view {
				t.Errorf("view: %s = %q (shown %v), want %q", o.Name, got, shown, sample.view)
			}
		})
	}
}

// TestValueAtDefaultKept: redis keeps a down-after-milliseconds,
// failover-timeout or parallel-syncs line's value even when it equals the
// default, so a later SENTINEL DEBUG default-down-after (or
// default-failover-timeout) does not change the master, and the rewrite
// still writes the line (checked against redis-sentinel 7.0.15). The
// parser used to store such a value as 0, "the default", which followed
// the new default; SET kept it. Now both keep it.
func TestValueAtDefaultKept(t *testing.T) {
	base := "sentinel monitor m 127.0.0.1 6379 2\n"
	conf := mustParse(t, base+"sentinel down-after-milliseconds m 30000\nsentinel failover-timeout m 180000\nsentinel parallel-syncs m 1\n").Sentinel
	if m := conf.Masters[0]; m.DownAfter.Milliseconds() != 30000 || m.FailoverTimeout.Milliseconds() != 180000 || m.ParallelSyncs != 1 {
		t.Errorf("parsed: %+v", m.MasterConfig)
	}
	byConf, _ := newSentinel(t, conf)
	bySet, _ := newSentinel(t, mustParse(t, base).Sentinel)
	if err := bySet.Set("m", []string{"down-after-milliseconds", "30000", "failover-timeout", "180000", "parallel-syncs", "1"}); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*sentinel.Sentinel{".conf": byConf, "SET": bySet} {
		if err := s.DebugSet([]string{"default-down-after", "5000", "default-failover-timeout", "9000"}); err != nil {
			t.Fatal(err)
		}
		v, err := s.Master("m")
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]string{"down-after-milliseconds": "30000", "failover-timeout": "180000", "parallel-syncs": "1"} {
			if got, _ := v.Get(k); got != want {
				t.Errorf("%s, after DEBUG: %s = %s, want %s as redis", name, k, got, want)
			}
		}
		snap := s.Snapshot()
		out := string(Rewrite(strings.Split(base, "\n"), &snap))
		for _, line := range []string{"sentinel down-after-milliseconds m 30000\n", "sentinel failover-timeout m 180000\n"} {
			if !strings.Contains(out, line) {
				t.Errorf("%s: rewrite after DEBUG lacks %q:\n%s", name, line, out)
			}
		}
		if strings.Contains(out, "parallel-syncs") {
			t.Errorf("%s: rewrite writes parallel-syncs at its default:\n%s", name, out)
		}
	}
}

// TestScriptCheckIsAccess: the file, YAML and SET all check a script
// with access(X_OK) as redis does. For root that takes a directory (redis
// 7.0.15 starts with "notification-script m /some/dir"), which the
// parser's old permission-bit check refused; for another user it refuses
// a file only its group may run, which the bits took. YAML did not check
// at all.
func TestScriptCheckIsAccess(t *testing.T) {
	dir := t.TempDir()
	path, ok := filepath.Join(dir, "d"), true
	if os.Geteuid() == 0 {
		if err := os.Mkdir(path, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		ok = false
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o010); err != nil {
			t.Fatal(err)
		}
	}
	base := "sentinel monitor m 127.0.0.1 6379 2\n"
	_, err := Parse("t.conf", []byte(base+"sentinel notification-script m "+path+"\n"))
	if (err == nil) != ok {
		t.Errorf(".conf: %v, want accepted %v", err, ok)
	}
	_, _, err = LoadYAML(writeYAML(t, "masters:\n  - name: m\n    host: 127.0.0.1\n    quorum: 2\n    client_reconfig_script: "+path+"\n"), "QSTEST")
	if (err == nil) != ok {
		t.Errorf("YAML: %v, want accepted %v", err, ok)
	}
	cfg := mustParse(t, base).Sentinel
	cfg.DenyScriptsReconfig = false
	s, _ := newSentinel(t, cfg)
	if err := s.Set("m", []string{"notification-script", path}); (err == nil) != ok {
		t.Errorf("SET: %v, want accepted %v", err, ok)
	}

	plain := filepath.Join(dir, "plain.sh")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = LoadYAML(writeYAML(t, "masters:\n  - name: m\n    host: 127.0.0.1\n    quorum: 2\n    notification_script: "+plain+"\n"), "QSTEST")
	if err == nil || !strings.Contains(err.Error(), "notification_script: Notification script seems non existing or non executable.") {
		t.Errorf("YAML, a script nobody may run: %v", err)
	}
}

// TestMasterOptionErrorsByPath: each path keeps redis's own error texts,
// which differ between the file and SET for the same mistake.
func TestMasterOptionErrorsByPath(t *testing.T) {
	base := "sentinel monitor m 127.0.0.1 6379 2\n"
	for _, c := range []struct {
		line, fatal string
		set         []string
		reply       string
	}{
		{"sentinel down-after-milliseconds m 0", "negative or zero time parameter.",
			[]string{"down-after-milliseconds", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'down-after-milliseconds'"},
		{"sentinel failover-timeout m abc", "negative or zero time parameter.",
			[]string{"FAILOVER-TIMEOUT", "abc"}, "ERR Invalid argument 'abc' for SENTINEL SET 'FAILOVER-TIMEOUT'"},
		{"sentinel master-reboot-down-after-period m -1", "negative time parameter.",
			[]string{"master-reboot-down-after-period", "-1"}, "ERR Invalid argument '-1' for SENTINEL SET 'master-reboot-down-after-period'"},
		{"sentinel client-reconfig-script m /nonexistent", "Client reconfiguration script seems non existing or non executable.",
			[]string{"client-reconfig-script", "/nonexistent"}, "ERR Client reconfiguration script seems non existing or non executable"},
		{"sentinel rename-command m A B\nsentinel rename-command m a C", "Same command renamed multiple times with rename-command.",
			[]string{"rename-command", "A", ""}, "ERR Invalid argument '' for SENTINEL SET 'rename-command'"},
		{"sentinel quorum m 2", "Unrecognized sentinel configuration statement.",
			[]string{"parallel-syncs", "0"}, "ERR Invalid argument '0' for SENTINEL SET 'parallel-syncs'"},
		{"sentinel parallel-syncs m", "Unrecognized sentinel configuration statement.",
			[]string{"rename-command", "A"}, "ERR Unknown option or number of arguments for SENTINEL SET 'rename-command'"},
	} {
		_, err := Parse("t.conf", []byte(base+c.line+"\n"))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Reason != c.fatal {
			t.Errorf("%q: %v, want %q", c.line, err, c.fatal)
		}
		cfg := mustParse(t, base).Sentinel
		cfg.DenyScriptsReconfig = false
		s, _ := newSentinel(t, cfg)
		if err := s.Set("m", c.set); err == nil || err.Error() != c.reply {
			t.Errorf("SET %q: %v, want %q", c.set, err, c.reply)
		}
	}
}

// TestDefaultsCopiedAtCreation: redis copies the default down-after and
// failover-timeout into a master when it starts monitoring it, so SENTINEL
// DEBUG default-down-after changes masters monitored afterwards only, and
// the rewrite then writes the older masters' values (checked against
// redis-sentinel 7.0.15). Before, an unset value followed the new default.
func TestDefaultsCopiedAtCreation(t *testing.T) {
	s, st := newSentinel(t, mustParse(t, "sentinel monitor m 127.0.0.1 6379 2\n").Sentinel)
	if err := s.DebugSet([]string{"default-down-after", "5000", "default-failover-timeout", "9000"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Monitor("n", "127.0.0.1", 6380, 1); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]string{"m": {"30000", "180000"}, "n": {"5000", "9000"}} {
		v, err := s.Master(name)
		if err != nil {
			t.Fatal(err)
		}
		da, _ := v.Get("down-after-milliseconds")
		ft, _ := v.Get("failover-timeout")
		if da != want[0] || ft != want[1] {
			t.Errorf("%s: down-after %s failover-timeout %s, want %s %s as redis", name, da, ft, want[0], want[1])
		}
	}
	st.mu.Lock()
	snap := st.last
	st.mu.Unlock()
	out := string(Rewrite(nil, &snap))
	if !strings.Contains(out, "sentinel down-after-milliseconds m 30000\nsentinel failover-timeout m 180000\n") ||
		strings.Contains(out, "down-after-milliseconds n") || strings.Contains(out, "failover-timeout n") {
		t.Errorf("rewrite:\n%s", out)
	}
}

// TestYAMLMasterValues: a YAML master's keys are read like .conf lines,
// with 0 (for numbers) or "" meaning the default, and a password that
// looks like a number kept as it is.
func TestYAMLMasterValues(t *testing.T) {
	head := "masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: 2\n"
	for _, c := range []struct {
		keys string
		want sentinel.MasterConfig
		err  string
	}{
		{"    down_after_ms: 0\n    parallel_syncs: 0\n    auth_pass: \"\"\n", sentinel.MasterConfig{}, ""},
		{"    auth_pass: 0\n    auth_user: \"0\"\n", sentinel.MasterConfig{AuthPass: "0", AuthUser: "0"}, ""},
		{"    parallel_syncs: \"4\"\n", sentinel.MasterConfig{ParallelSyncs: 4}, ""},
		{"    down_after_ms: -5\n", sentinel.MasterConfig{}, "masters[0] (m): down_after_ms: negative or zero time parameter."},
		{"    master_reboot_down_after_period_ms: -1\n", sentinel.MasterConfig{}, "masters[0] (m): master_reboot_down_after_period_ms: negative time parameter."},
		{"    down_after_ms: [1]\n", sentinel.MasterConfig{}, "masters[0] (m): down_after_ms: [1]: want a string or an integer"},
		{"    rename_command: x\n", sentinel.MasterConfig{}, `masters[0] (m): unknown key "rename_command"`},
	} {
		f, _, err := LoadYAML(writeYAML(t, head+c.keys), "QSTEST")
		if c.err != "" {
			if err == nil || !strings.HasSuffix(err.Error(), c.err) {
				t.Errorf("%q: %v, want %q", c.keys, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.keys, err)
			continue
		}
		c.want.Name, c.want.Addr, c.want.Quorum = "m", sentinel.Addr{Host: "127.0.0.1", Port: 6379}, 2
		if got := f.Sentinel.Masters[0].MasterConfig; !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.keys, got, c.want)
		}
	}
}
