package sentinelconf

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
)

const userConf = `# my sentinel
port 26390
daemonize no

# the master
sentinel monitor mymaster 127.0.0.1 6399 2
sentinel down-after-milliseconds mymaster 5000
sentinel known-slave mymaster 127.0.0.1 6400
# keep me
loglevel notice
`

// discovered returns the config a sentinel would hand to Save after
// running for a while.
func discovered(t *testing.T) *sentinel.Config {
	t.Helper()
	f, err := Parse("t.conf", []byte(userConf))
	if err != nil {
		t.Fatal(err)
	}
	c := f.Sentinel
	c.MyID = "0123456789abcdef0123456789abcdef01234567"
	c.CurrentEpoch = 4
	m := &c.Masters[0]
	m.ConfigEpoch, m.LeaderEpoch = 4, 4
	m.AuthPass = "pa ss\"w"
	m.FailoverTimeout = 10 * time.Second
	m.KnownReplicas = append(m.KnownReplicas, sentinel.Addr{Host: "127.0.0.1", Port: 6401}, sentinel.Addr{Host: "127.0.0.1", Port: 6401})
	m.KnownSentinels = []sentinel.KnownSentinel{{Addr: sentinel.Addr{Host: "127.0.0.1", Port: 26391}, RunID: "fedcba9876543210fedcba9876543210fedcba98"}}
	m.RenameCommands = []sentinel.RenamedCommand{{Command: "CONFIG", Renamed: "XCONFIG"}}
	c.Masters = append(c.Masters, sentinel.MasterState{MasterConfig: sentinel.MasterConfig{
		Name: "other", Addr: sentinel.Addr{Host: "127.0.0.2", Port: 6379}, Quorum: 1,
	}})
	c.AnnounceIP = "10.0.0.1"
	return &c
}

func TestRewriteRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(userConf), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg := discovered(t)
	store := &ConfStore{Path: path}
	if err := store.Save(cfg); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	text := string(first)
	for _, keep := range []string{"# my sentinel\n", "# the master\n", "# keep me\nloglevel notice\n", "daemonize no\n", "port 26390\n"} {
		if !strings.Contains(text, keep) {
			t.Errorf("rewrite lost %q:\n%s", keep, text)
		}
	}
	if strings.Count(text, rewriteSignature) != 1 || strings.Contains(text, "known-slave") ||
		strings.Count(text, "known-replica mymaster 127.0.0.1 6401") != 1 {
		t.Errorf("unexpected rewrite:\n%s", text)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode = %v", st.Mode())
	}
	f, err := ParseFile(path)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	want := *cfg
	want.Masters = append([]sentinel.MasterState(nil), cfg.Masters...)
	want.Masters[0].KnownReplicas = want.Masters[0].KnownReplicas[:2] // deduplicated
	if !reflect.DeepEqual(f.Sentinel, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", f.Sentinel, want)
	}
	// Idempotent: saving the same state again changes nothing.
	if err := store.Save(&f.Sentinel); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(second) != text {
		t.Errorf("not idempotent:\n%s\n---\n%s", text, second)
	}
	// Removing a master removes its lines.
	cfg.Masters = cfg.Masters[:1]
	if err := store.Save(cfg); err != nil {
		t.Fatal(err)
	}
	third, _ := os.ReadFile(path)
	if strings.Contains(string(third), "other") || strings.Contains(string(third), "\n\n\n") {
		t.Errorf("after removing a master:\n%s", third)
	}
}

func TestRewriteMissingFileUsesFileLines(t *testing.T) {
	f, err := Parse("t.conf", []byte(userConf))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gone.conf")
	if err := (&ConfStore{Path: path, File: f}).Save(&f.Sentinel); err != nil {
		t.Fatal(err)
	}
	g, err := ParseFile(path)
	if err != nil || !reflect.DeepEqual(g.Sentinel, f.Sentinel) {
		t.Errorf("got %+v, %v", g, err)
	}
}

// TestRewriteStartsRealRedisSentinel checks that redis-sentinel itself
// accepts what we write (skipped when it is not installed).
func TestRewriteStartsRealRedisSentinel(t *testing.T) {
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil || testing.Short() {
		t.Skip("redis-sentinel not available")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(path, []byte(userConf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := discovered(t)
	cfg.Port = port
	if err := (&ConfStore{Path: path}).Save(cfg); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, path, "--bind", "127.0.0.1")
	cmd.Dir = dir
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		t.Fatalf("redis-sentinel exited: %v\n%s", err, out)
	case <-time.After(700 * time.Millisecond):
		cmd.Process.Kill()
		<-done
	}
	if strings.Contains(out.String(), "FATAL") {
		t.Fatalf("redis-sentinel refused the file:\n%s", out)
	}
}
