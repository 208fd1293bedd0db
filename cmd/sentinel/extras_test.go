package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
)

func TestExtraArgsLeavesRedisOptions(t *testing.T) {
	rest, x, err := extraArgs([]string{"--port", "26380", "--gossip-bind", "127.0.0.1:7946",
		"--gossip-join", "a:1, b:2", "--agent-check", "127.0.0.1:9999", "--agent-check-max-lag", "1000",
		"--metrics", "127.0.0.1:9355", "--loglevel", "warning"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rest, " ") != "--port 26380 --loglevel warning" {
		t.Errorf("redis options: %q", rest)
	}
	if x.gossip.Bind != "127.0.0.1:7946" || len(x.gossip.Join) != 2 || x.agent.Addr != "127.0.0.1:9999" ||
		x.agent.MaxLag != 1000 || x.metrics != "127.0.0.1:9355" {
		t.Errorf("extras: %+v", x)
	}
	if _, _, err := extraArgs([]string{"--agent-check"}); err == nil {
		t.Error("missing value accepted")
	}
	if _, _, err := extraArgs([]string{"--agent-check-max-lag", "-1"}); err == nil {
		t.Error("negative lag accepted")
	}
}

func TestGossipKey(t *testing.T) {
	if k := gossipKey(""); k != nil {
		t.Error("empty key is not off")
	}
	if k := gossipKey("MDEyMzQ1Njc4OWFiY2RlZg=="); string(k) != "0123456789abcdef" {
		t.Errorf("base64 key: %q", k)
	}
	if k := gossipKey("a passphrase"); len(k) != 32 {
		t.Errorf("passphrase key length %d", len(k))
	}
}

func TestHAProxyConfig(t *testing.T) {
	var b bytes.Buffer
	writeHAProxyConfig(&b, []sentinel.MasterState{
		{MasterConfig: sentinel.MasterConfig{Name: "b", Addr: sentinel.Addr{Host: "10.0.0.2", Port: 6380}}},
		{MasterConfig: sentinel.MasterConfig{Name: "a", Addr: sentinel.Addr{Host: "10.0.0.1", Port: 6379}},
			KnownReplicas: []sentinel.Addr{{Host: "10.0.0.2", Port: 6379}}},
	}, hpOptions{bind: "0.0.0.0", socket: "/run/h.sock", agentHost: "127.0.0.1", agentPort: "9999",
		agentInter: "500ms", checkInter: "1s", maxconn: 300, ports: mustPorts(t, 7000, false, "a", "b")})
	cfg := b.String()
	for _, want := range []string{
		"maxconn 300\n",
		"stats socket /run/h.sock mode 660 level admin",
		"on-marked-down shutdown-sessions",
		"\n    retries 0\n",
		"agent-check agent-addr 127.0.0.1 agent-port 9999 agent-inter 500ms",
		"frontend a\n    bind 0.0.0.0:7000\n", "frontend b\n    bind 0.0.0.0:7001\n",
		`server 10_0_0_1_6379 10.0.0.1:6379 agent-send "a 10.0.0.1:6379\n"`,
		`server 10_0_0_2_6379 10.0.0.2:6379 agent-send "a 10.0.0.2:6379\n"`,
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf("haproxy.cfg lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "tcp-check") {
		t.Errorf("liveness check without --agent-liveness:\n%s", cfg)
	}
}

// With --agent-liveness (the default) every backend's health check asks
// the agent too, rise is 2, and HAProxy accepts the file.
func TestHAProxyConfigAgentLiveness(t *testing.T) {
	var b bytes.Buffer
	writeHAProxyConfig(&b, []sentinel.MasterState{
		{MasterConfig: sentinel.MasterConfig{Name: "a", Addr: sentinel.Addr{Host: "10.0.0.1", Port: 6379}},
			KnownReplicas: []sentinel.Addr{{Host: "10.0.0.2", Port: 6379}}},
	}, hpOptions{bind: "127.0.0.1", socket: filepath.Join(t.TempDir(), "h.sock"), agentHost: "127.0.0.1", agentPort: "9999",
		agentInter: "500ms", checkInter: "1s", maxconn: 300, read: true, liveness: true, ports: mustPorts(t, 7000, true, "a")})
	cfg := b.String()
	check := "    option tcp-check\n    tcp-check connect comment redis\n" +
		"    tcp-check connect addr 127.0.0.1 port 9999 comment agent-alive\n" +
		"    tcp-check send ping\\n\n    tcp-check expect string pong\n"
	if n := strings.Count(cfg, check); n != 2 {
		t.Errorf("liveness check in %d backends, want 2 (write and read):\n%s", n, cfg)
	}
	if !strings.Contains(cfg, "fall 2 rise 2 agent-check") {
		t.Errorf("rise is not 2:\n%s", cfg)
	}
	hp, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed: the file is not validated")
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(hp, "-c", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n%s", err, out, cfg)
	}
}

// The agent is asked at least every quarter of the shortest down-after, so
// HAProxy hears a minority's "down" before the majority can promote.
func TestDefaultAgentInter(t *testing.T) {
	ms := func(ds ...time.Duration) []sentinel.MasterState {
		var out []sentinel.MasterState
		for _, d := range ds {
			out = append(out, sentinel.MasterState{MasterConfig: sentinel.MasterConfig{DownAfter: d}})
		}
		return out
	}
	for _, c := range []struct {
		masters []sentinel.MasterState
		want    time.Duration
	}{
		{ms(30 * time.Second), 500 * time.Millisecond},
		{ms(30*time.Second, time.Second), 250 * time.Millisecond},
		{ms(200 * time.Millisecond), 100 * time.Millisecond},
		{ms(0), 500 * time.Millisecond},
	} {
		if got := defaultAgentInter(c.masters); got != c.want {
			t.Errorf("defaultAgentInter(%v) = %v, want %v", c.masters[0].DownAfter, got, c.want)
		}
	}
}

// mustPorts assigns frontend ports as a first generation (no pin, no file).
func mustPorts(t *testing.T, base int, read bool, names ...string) map[string]frontendPorts {
	t.Helper()
	ports, err := assignPorts(names, base, read, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}
