package systemd

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

const unitFile = "qsentinel.service"

// service is the [Service] section: each key's values, in order, with
// space-separated lists split.
func service(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = line
		case section == "[Service]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("bad line %q", line)
			}
			out[k] = append(out[k], strings.Fields(v)...)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// debianPaths are the files Debian's stock /etc/redis/sentinel.conf makes
// the sentinel write: its log, pidfile, working directory and the config
// itself. The machine's copy is read when installed (redis-sentinel
// package); the values below are Debian 12's, so the test runs anywhere.
func debianPaths(t *testing.T) []string {
	t.Helper()
	const conf = "/etc/redis/sentinel.conf"
	logfile, pidfile, dir := "/var/log/redis/redis-sentinel.log", "/run/sentinel/redis-sentinel.pid", "/var/lib/redis"
	if data, err := os.ReadFile(conf); err == nil {
		f, err := sentinelconf.Parse(conf, data)
		if err != nil {
			t.Fatal(err)
		}
		logfile, pidfile, dir = f.Server.Logfile, f.Server.Pidfile, f.Server.Dir
	}
	return []string{filepath.Dir(logfile), filepath.Dir(pidfile), dir, filepath.Dir(conf)}
}

// Under ProtectSystem=strict every path Debian's config writes is
// writable: through ReadWritePaths, or RuntimeDirectory for /run/sentinel
// (issue 18 item 7: the log and pidfile were read-only, and /run/redis,
// listed without "-", kept the unit from starting without redis-server).
func TestUnitFitsDebian(t *testing.T) {
	svc := service(t)
	if got := svc["ProtectSystem"]; len(got) != 1 || got[0] != "strict" {
		t.Fatalf("ProtectSystem %q, want strict", got)
	}
	writable := map[string]bool{}
	for _, p := range svc["ReadWritePaths"] {
		// A path that may be missing must not stop the start (226/NAMESPACE):
		// Debian's own unit marks every one with "-".
		if !strings.HasPrefix(p, "-") {
			t.Errorf("ReadWritePaths %s without the leading -", p)
		}
		writable[strings.TrimPrefix(p, "-")] = true
	}
	for _, d := range svc["RuntimeDirectory"] {
		writable["/run/"+d] = true
	}
	if !writable["/run/redis"] {
		t.Error("/run/redis (redis-server's socket directory) is not writable")
	}
	for _, p := range debianPaths(t) {
		p = strings.Replace(p, "/var/run/", "/run/", 1)
		if !writable[p] {
			t.Errorf("%s (written by Debian's sentinel.conf) is read-only under ProtectSystem=strict; writable: %v", p, writable)
		}
	}
	if u := svc["User"]; len(u) != 1 || u[0] != "redis" {
		t.Errorf("User %q, want redis (owner of Debian's /etc/redis and /var/log/redis)", u)
	}
}

// systemd itself accepts the unit (when systemd-analyze is installed). The
// binary does not exist here: the copy runs /bin/true instead.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze")
	}
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(data), "/usr/bin/qsentinel ", "/bin/true ")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
