package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// runCmd runs the binary's main logic and returns exit code, stdout, stderr.
func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// --help lists every option we read, the three the issue found missing
// among them.
func TestHelpListsEveryOption(t *testing.T) {
	code, out, _ := runCmd("--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--metrics host:port", "--hooks hooks.yaml", "--gossip-advertise host:port"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
	for _, o := range ourOptions() {
		if !strings.Contains(out, "--"+o.name+" ") {
			t.Errorf("--help lacks --%s", o.name)
		}
	}
}

// --version keeps redis's "v=7.0.15" field and adds ours.
func TestVersionShowsOurs(t *testing.T) {
	code, out, _ := runCmd("--version")
	if code != 0 || !strings.Contains(out, " v=7.0.15 ") || !strings.Contains(out, " qsentinel="+release) {
		t.Errorf("exit %d: %q", code, out)
	}
}

// Our options take "--name=value" too.
func TestOurOptionsEqualsForm(t *testing.T) {
	rest, x, err := extraArgs([]string{"--metrics=127.0.0.1:9355", "--port", "1", "--gossip-join=a:1,b:2"})
	if err != nil {
		t.Fatal(err)
	}
	if x.metrics != "127.0.0.1:9355" || len(x.gossip.Join) != 2 || strings.Join(rest, " ") != "--port 1" {
		t.Errorf("metrics %q, join %v, rest %q", x.metrics, x.gossip.Join, rest)
	}
}

// A mistyped option after the .conf is a bad option, not a "FATAL CONFIG
// FILE ERROR at line 5" of a 3-line file.
func TestMistypedOptionIsAnOptionError(t *testing.T) {
	conf := writeFile(t, filepath.Join(t.TempDir(), "sentinel.conf"), "port 0\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 6379 2\n")
	code, _, stderr := runCmd(conf, "--prot", "26380")
	if code != 1 || !strings.Contains(stderr, "Bad option on the command line: '--prot \"26380\"'") ||
		strings.Contains(stderr, "FATAL CONFIG FILE ERROR") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// An error in the .conf names the file on a line of its own, before
// redis's block, which stays byte for byte redis's.
func TestConfErrorNamesFile(t *testing.T) {
	conf := writeFile(t, filepath.Join(t.TempDir(), "sentinel.conf"), "port 0\nbind 127.0.0.1\n\nfoobar 1\n")
	code, _, stderr := runCmd(conf)
	block := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 4\n>>> 'foobar 1'\nBad directive or wrong number of arguments\n"
	if code != 1 || stderr != conf+":4: Bad directive or wrong number of arguments (>>> 'foobar 1')\n"+block {
		t.Errorf("exit %d:\n%q", code, stderr)
	}
}

// A YAML file given as a .conf: a hint to use --config, by its name or,
// named otherwise, by its text.
func TestYAMLWithoutConfigHints(t *testing.T) {
	dir := t.TempDir()
	y := writeFile(t, filepath.Join(dir, "sentinel.yaml"), "port: 26379\n")
	if code, _, stderr := runCmd(y); code != 1 || !strings.Contains(stderr, "is a YAML file: start with sentinel --config "+y) {
		t.Errorf("exit %d: %s", code, stderr)
	}
	c := writeFile(t, filepath.Join(dir, "sentinel.conf"), "port: 26379\n")
	if code, _, stderr := runCmd(c); code != 1 || !strings.Contains(stderr, "looks like a YAML file: start with sentinel --config "+c) {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// With --config, our options are honoured over the YAML keys, and
// redis-style options fail the start with the reason instead of being
// ignored.
func TestYAMLStartOptions(t *testing.T) {
	t.Chdir(t.TempDir())
	y := writeFile(t, "s.yaml", "port: 0\nbind: [127.0.0.1]\nmetrics_addr: 127.0.0.1:1\nmasters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n    quorum: 2\n")
	var out, errOut bytes.Buffer
	a, err := load([]string{"--metrics=127.0.0.1:9355", "--config", y, "--agent-check", "127.0.0.1:9999"}, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if a.file.MetricsAddr != "127.0.0.1:9355" || a.file.AgentCheck.Addr != "127.0.0.1:9999" {
		t.Errorf("metrics %q, agent %q: options not honoured", a.file.MetricsAddr, a.file.AgentCheck.Addr)
	}
	_, err = load([]string{"--config", y, "--port", "26380"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), `--port 26380: not an option of a YAML start`) ||
		!strings.Contains(err.Error(), "SENTINEL_PORT") {
		t.Errorf("redis-style option with --config: %v", err)
	}
	// No YAML key of that name: no key or variable to suggest.
	_, err = load([]string{"--config", y, "--sentinel", "deny-scripts-reconfig", "no"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--sentinel deny-scripts-reconfig no: not an option of a YAML start") ||
		strings.Contains(err.Error(), "SENTINEL_SENTINEL") {
		t.Errorf("sentinel directive with --config: %v", err)
	}
}

// The options that apply to both forms land in the File.
func TestExtrasApply(t *testing.T) {
	_, x, err := extraArgs([]string{"--agent-check-max-lag", "0", "--gossip-key", "k"})
	if err != nil {
		t.Fatal(err)
	}
	f := &sentinelconf.File{AgentCheck: sentinelconf.AgentCheck{MaxLag: 5000}, MetricsAddr: "keep"}
	x.apply(f)
	if f.AgentCheck.MaxLag != 0 || f.Gossip.Key != "k" || f.MetricsAddr != "keep" {
		t.Errorf("applied: %+v", f)
	}
}

// A log file that cannot be opened is named before redis's block.
func TestLogfileErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	logPath := filepath.Join(dir, "nodir", "s.log")
	conf := writeFile(t, filepath.Join(dir, "sentinel.conf"), "port 0\nbind 127.0.0.1\nlogfile "+logPath+"\n")
	code, _, stderr := runCmd(conf)
	if code != 1 || !strings.HasPrefix(stderr, logPath+": Can't open the log file: No such file or directory\n") ||
		!strings.Contains(stderr, "*** FATAL CONFIG FILE ERROR") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}
