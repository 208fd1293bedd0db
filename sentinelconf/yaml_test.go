package sentinelconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
)

func writeYAML(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sentinel.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadYAMLExample(t *testing.T) {
	f, y, err := LoadYAML("../sentinel.example.yaml", "QSTEST")
	if err != nil {
		t.Fatal(err)
	}
	if y.StateFile != "sentinel-state.json" || f.Server.Port != 26379 || f.Server.Loglevel != "notice" ||
		f.Server.LogFormat != "text" || !f.Sentinel.DenyScriptsReconfig || len(f.Sentinel.Masters) != 1 {
		t.Errorf("example: %+v %+v", f, y)
	}
}

func TestLoadYAMLEnv(t *testing.T) {
	path := writeYAML(t, `
port: 26390
loglevel: warning
masters:
  - name: m
    host: 10.0.0.1
    port: 6379
    quorum: 2
    down_after_ms: 5000
    auth_pass: "pa ss"
`)
	t.Setenv("SENTINEL_PORT", "26391")
	t.Setenv("SENTINEL_DIR", "/tmp")
	t.Setenv("SENTINEL_LOG_FORMAT", "json")
	t.Setenv("SENTINEL_BIND", "127.0.0.1,::1")
	f, y, err := LoadYAML(path, "SENTINEL")
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Port != 26391 || f.Sentinel.Port != 26391 || f.Server.Dir != "/tmp" || f.Server.LogFormat != "json" ||
		f.Server.Loglevel != "warning" || !reflect.DeepEqual(f.Server.Bind, []string{"127.0.0.1", "::1"}) || y.StateFile != "sentinel-state.json" {
		t.Errorf("server = %+v", f.Server)
	}
	want := sentinel.MasterConfig{Name: "m", Addr: sentinel.Addr{Host: "10.0.0.1", Port: 6379}, Quorum: 2, DownAfter: 5 * time.Second, AuthPass: "pa ss"}
	if len(f.Sentinel.Masters) != 1 || !reflect.DeepEqual(f.Sentinel.Masters[0].MasterConfig, want) {
		t.Errorf("masters = %+v", f.Sentinel.Masters)
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"port: 1\nprot: 2\n", "prot"},
		{"masters:\n  - name: m\n    host: h\n    quorum: 1\n    qourum: 2\n", "qourum"},
		{"log_format: xml\n", "log_format"},
		{"loglevel: loud\n", "loglevel"},
		{"masters:\n  - name: m\n    host: 1.2.3.4\n    quorum: 0\n", "quorum"},
		{"port: [\n", "sentinel.yaml"},
	} {
		_, _, err := LoadYAML(writeYAML(t, c.text), "QSTEST")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "sentinel.yaml") {
			t.Errorf("%q: err = %v, want mention of %q", c.text, err, c.want)
		}
	}
	if _, _, err := LoadYAML(filepath.Join(t.TempDir(), "missing.yaml"), "QSTEST"); err == nil {
		t.Error("missing file: no error")
	}
}

func TestStateRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	base := sentinel.DefaultConfig()
	base.Masters = []sentinel.MasterState{
		{MasterConfig: sentinel.MasterConfig{Name: "m", Addr: sentinel.Addr{Host: "10.0.0.1", Port: 6379}, Quorum: 2}},
		{MasterConfig: sentinel.MasterConfig{Name: "n", Addr: sentinel.Addr{Host: "10.0.0.5", Port: 6379}, Quorum: 1}},
	}
	// Missing file: no error, nothing changes.
	cfg := base
	if err := LoadState(path, &cfg); err != nil || !reflect.DeepEqual(cfg, base) {
		t.Fatalf("missing state: %v", err)
	}
	saved := base
	saved.Masters = append([]sentinel.MasterState(nil), base.Masters...)
	saved.MyID = "0123456789abcdef0123456789abcdef01234567"
	saved.CurrentEpoch = 7
	m := &saved.Masters[0]
	m.Addr = sentinel.Addr{Host: "10.0.0.2", Port: 6379} // after a failover
	m.ConfigEpoch, m.LeaderEpoch = 7, 6
	m.KnownReplicas = []sentinel.Addr{{Host: "10.0.0.1", Port: 6379}}
	m.KnownSentinels = []sentinel.KnownSentinel{{Addr: sentinel.Addr{Host: "10.0.0.9", Port: 26379}, RunID: "fedcba9876543210fedcba9876543210fedcba98"}}
	if err := (&StateStore{Path: path}).Save(&saved); err != nil {
		t.Fatal(err)
	}
	cfg = base
	cfg.Masters = append([]sentinel.MasterState(nil), base.Masters...)
	if err := LoadState(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, saved) {
		t.Errorf("state round trip:\n got %+v\nwant %+v", cfg, saved)
	}
	if err := os.WriteFile(path, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := LoadState(path, &cfg); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("corrupt state: %v", err)
	}
}

// supervised, daemonize, maxclients and timeout are honoured from YAML,
// and bad values are refused.
func TestYAMLProcessAndClientKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "s.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f, _, err := LoadYAML(write("daemonize: true\nsupervised: systemd\nmaxclients: 5\ntimeout: 3\n"), "QSTEST")
	if err != nil {
		t.Fatal(err)
	}
	if !f.Server.Daemonize || f.Server.Supervised != "systemd" || f.Server.Clients.MaxClients != 5 || f.Server.Clients.Timeout != 3*time.Second {
		t.Errorf("server %+v", f.Server)
	}
	for _, bad := range []string{"supervised: maybe\n", "maxclients: 0\n", "timeout: -1\n"} {
		if _, _, err := LoadYAML(write(bad), "QSTEST"); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
}
