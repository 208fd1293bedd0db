package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConf writes a sentinel.conf monitoring the named masters.
func writeConf(t *testing.T, path string, names ...string) {
	t.Helper()
	conf := "port 26379\n"
	for k, n := range names {
		conf += fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2\n", n, 6379+k)
	}
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
}

// haproxyRun runs `sentinel haproxy-config` and returns its exit code,
// stdout and stderr.
func haproxyRun(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(append([]string{"haproxy-config"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func frontendsOf(t *testing.T, cfg string) map[string]int {
	t.Helper()
	fs, err := parseFrontends(strings.NewReader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Adding a master whose name sorts first must not move the frontends
// already in the file written with --output: before, "cache" took
// orders's port 7000 and orders moved to 7001.
func TestHAProxyConfigOutputKeepsPorts(t *testing.T) {
	dir := t.TempDir()
	conf, out := filepath.Join(dir, "sentinel.conf"), filepath.Join(dir, "haproxy.cfg")
	writeConf(t, conf, "orders")
	args := []string{conf, "--agent-addr", "127.0.0.1:9999", "--read-backends", "--output", out}
	if code, stdout, stderr := haproxyRun(args...); code != 0 || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	first, _ := os.ReadFile(out)
	if got := frontendsOf(t, string(first)); got["orders"] != 7000 || got["orders_read"] != 7100 {
		t.Fatalf("first generation: %v", got)
	}
	writeConf(t, conf, "orders", "cache")
	if code, _, stderr := haproxyRun(args...); code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	second, _ := os.ReadFile(out)
	got := frontendsOf(t, string(second))
	want := map[string]int{"orders": 7000, "orders_read": 7100, "cache": 7001, "cache_read": 7101}
	for n, p := range want {
		if got[n] != p {
			t.Errorf("frontend %s on %d, want %d:\n%s", n, got[n], p, second)
		}
	}
	if !strings.Contains(string(second), "#   orders 7000 (read 7100): kept from the existing file\n") {
		t.Errorf("header does not say where orders's port comes from:\n%s", second)
	}
}

// A removed master's port is not handed to a master added in the same run.
func TestHAProxyConfigOutputDoesNotReuseRemovedPort(t *testing.T) {
	dir := t.TempDir()
	conf, out := filepath.Join(dir, "sentinel.conf"), filepath.Join(dir, "haproxy.cfg")
	writeConf(t, conf, "a", "b")
	args := []string{conf, "--agent-addr", "127.0.0.1:9999", "--output", out}
	if code, _, stderr := haproxyRun(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	writeConf(t, conf, "b", "c")
	if code, _, stderr := haproxyRun(args...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cfg, _ := os.ReadFile(out)
	if got := frontendsOf(t, string(cfg)); got["b"] != 7001 || got["c"] != 7002 {
		t.Errorf("ports %v, want b 7001 and c 7002 (a's 7000 not reused)", got)
	}
}

// --frontend-port pins a master's port whatever the order; a pin that
// moves a frontend of the file is said on stderr; pins of masters the
// config does not have and two frontends on one port fail with the reason.
func TestHAProxyConfigPins(t *testing.T) {
	dir := t.TempDir()
	conf, out := filepath.Join(dir, "sentinel.conf"), filepath.Join(dir, "haproxy.cfg")
	writeConf(t, conf, "orders", "cache")
	code, stdout, stderr := haproxyRun(conf, "--agent-addr", "127.0.0.1:9999", "--read-backends",
		"--frontend-port", "orders=7000", "--frontend-port", "cache=7001")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := frontendsOf(t, stdout)
	if got["orders"] != 7000 || got["cache"] != 7001 || got["orders_read"] != 7100 || got["cache_read"] != 7101 {
		t.Errorf("pinned ports: %v", got)
	}
	if strings.Contains(stdout, "Assigned ports follow") {
		t.Errorf("every port pinned, yet the file warns of moving ports:\n%s", stdout)
	}

	writeConf(t, conf, "orders")
	if code, _, stderr := haproxyRun(conf, "--agent-addr", "127.0.0.1:9999", "--output", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr = haproxyRun(conf, "--agent-addr", "127.0.0.1:9999", "--output", out, "--frontend-port", "orders=7005")
	if code != 0 || !strings.Contains(stderr, "frontend orders moves from port 7000 to 7005 (pinned (--frontend-port, or haproxy_port in the YAML))") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--frontend-port", "nosuch=7000"}, "--frontend-port names masters the config does not monitor: nosuch"},
		{[]string{"--frontend-port", "orders=7003,orders=7004"}, "orders pinned twice (7003 and 7004)"},
		{[]string{"--frontend-port", "orders=x"}, `"orders=x": want master=port`},
	} {
		code, _, stderr := haproxyRun(append([]string{conf, "--agent-addr", "127.0.0.1:9999"}, tc.args...)...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

// Two frontends on one port fail the generation instead of writing a file
// HAProxy would refuse (or, worse, one where a pin shadows a kept port).
func TestAssignPortsConflicts(t *testing.T) {
	if _, err := assignPorts([]string{"a", "b"}, 7000, false, map[string]int{"b": 7000}, map[string]int{"a": 7000}); err == nil ||
		!strings.Contains(err.Error(), "would both listen on port 7000") {
		t.Errorf("pin on a kept port: %v", err)
	}
	// Without pins nor file: the name order, read frontends 100 above.
	ports, err := assignPorts([]string{"a", "b"}, 7000, true, nil, nil)
	if err != nil || ports["a"] != (frontendPorts{7000, 7100, portAssigned}) || ports["b"] != (frontendPorts{7001, 7101, portAssigned}) {
		t.Errorf("first generation: %v %v", ports, err)
	}
}

// Printed to stdout with ports assigned by order, the file says so and how
// to pin them.
func TestHAProxyConfigStdoutWarnsOfOrderPorts(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	writeConf(t, conf, "orders", "cache")
	code, stdout, stderr := haproxyRun(conf, "--agent-addr", "127.0.0.1:9999")
	if code != 0 || !strings.Contains(stdout, "Pin each with --frontend-port name=port") {
		t.Errorf("exit %d, stderr %s, config:\n%s", code, stderr, stdout)
	}
}

// --help is an answer, not a usage error.
func TestSubcommandHelpExitsZero(t *testing.T) {
	for _, sub := range []string{"haproxy-config", "status"} {
		var out, errOut bytes.Buffer
		if code := run([]string{sub, "--help"}, &out, &errOut); code != 0 {
			t.Errorf("%s --help: exit %d", sub, code)
		}
		if !strings.Contains(out.String()+errOut.String(), "-addr") && !strings.Contains(out.String()+errOut.String(), "-agent-addr") {
			t.Errorf("%s --help shows no options: %s%s", sub, out.String(), errOut.String())
		}
	}
}

// A YAML master's haproxy_port pins its frontend, for operators who keep
// the YAML in configuration management; --frontend-port wins over it.
func TestHAProxyConfigYAMLPins(t *testing.T) {
	dir := t.TempDir()
	y := filepath.Join(dir, "sentinel.yaml")
	text := "dir: " + dir + "\nmasters:\n" +
		"  - {name: orders, host: 127.0.0.1, port: 6379, quorum: 2, haproxy_port: 7010}\n" +
		"  - {name: cache, host: 127.0.0.1, port: 6380, quorum: 2, haproxy_port: 7011}\n"
	if err := os.WriteFile(y, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := haproxyRun("--config", y, "--agent-addr", "127.0.0.1:9999", "--frontend-port", "cache=7020")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if got := frontendsOf(t, stdout); got["orders"] != 7010 || got["cache"] != 7020 {
		t.Errorf("ports %v, want orders 7010 (YAML) and cache 7020 (command line)", got)
	}
	bad := strings.Replace(text, "haproxy_port: 7011", "haproxy_port: 70000", 1)
	if err := os.WriteFile(y, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := haproxyRun("--config", y, "--agent-addr", "127.0.0.1:9999"); code == 0 ||
		!strings.Contains(stderr, "line 4: masters[1] (cache): haproxy_port: 70000 is not a port") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
