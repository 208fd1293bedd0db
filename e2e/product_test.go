package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

// metricValue finds one sample by name and label substring.
func metricValue(body, name, labels string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `(\{[^}]*\})? (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], labels) {
			v, err := strconv.ParseFloat(m[2], 64)
			return v, err == nil
		}
	}
	return 0, false
}

// TestMetricsAndStatus: /metrics uses redis_exporter's names, its values
// change across a failover, and `sentinel status` shows the topology.
func TestMetricsAndStatus(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mport := cluster.MustFreePort(t)
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}},
		Args:     []string{"--metrics", "127.0.0.1:" + strconv.Itoa(mport)},
	})
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	url := "http://127.0.0.1:" + strconv.Itoa(mport)
	if h := scrape(t, url+"/healthz"); !strings.HasPrefix(h, "ok 1 masters") {
		t.Errorf("/healthz: %q", h)
	}
	before := scrape(t, url+"/metrics")
	checks := []struct {
		name, labels string
		want         float64
	}{
		{"redis_sentinel_masters", "", 1},
		{"redis_sentinel_tilt", "", 0},
		{"redis_sentinel_master_status", `master_address="` + master.Addr() + `"`, 1},
		{"redis_sentinel_master_slaves", `master_name="mymaster"`, 1},
		{"redis_sentinel_master_ok_slaves", `master_name="mymaster"`, 1},
		{"redis_sentinel_master_ok_sentinels", `master_name="mymaster"`, 1},
		{"redis_sentinel_master_config_epoch", `master_name="mymaster"`, 0},
		{"redis_sentinel_master_setting_ckquorum", `master_name="mymaster"`, 1},
		{"redis_sentinel_master_ckquorum_status", `master_name="mymaster"`, 1},
		{"redis_sentinel_master_sdown", `master_name="mymaster"`, 0},
		// Before any failover the event series are there at 0, and the
		// series redis_exporter dashboards build variables from.
		{"redis_sentinel_failovers_total", `result="ok"`, 0},
		{"redis_sentinel_master_switches_total", `master_name="mymaster"`, 0},
		{"redis_sentinel_failover_duration_seconds_count", `master_name="mymaster"`, 0},
		{"redis_up", "", 1},
		{"redis_instance_info", `redis_mode="sentinel"`, 1},
		{"redis_instance_info", `tcp_port="` + strconv.Itoa(s.Port) + `"`, 1},
		{"redis_sentinel_instance_up", `address="` + replica.Addr() + `",master_name="mymaster",role="slave"`, 1},
	}
	for _, ck := range checks {
		if v, ok := metricValue(before, ck.name, ck.labels); !ok || v != ck.want {
			t.Errorf("%s{%s} = %v (found %v), want %v", ck.name, ck.labels, v, ok, ck.want)
		}
	}

	// sentinel status, table and JSON.
	bin := cluster.OurBinary(t)
	out, err := exec.Command(bin, "status", "--addr", s.Addr()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "mymaster") || !strings.Contains(string(out), replica.Addr()) {
		t.Errorf("sentinel status: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "status", "--addr", s.Addr(), "--json").Output()
	var st []struct {
		Name     string           `json:"name"`
		Master   map[string]any   `json:"master"`
		Replicas []map[string]any `json:"replicas"`
	}
	if err != nil || json.Unmarshal(out, &st) != nil || len(st) != 1 || st[0].Name != "mymaster" || len(st[0].Replicas) != 1 {
		t.Errorf("sentinel status --json: %v\n%s", err, out)
	} else if port, ok := st[0].Master["port"].(float64); !ok || strconv.Itoa(int(port)) != strconv.Itoa(master.Port) {
		// Numbers are JSON numbers (issue 18 item 11), not strings.
		t.Errorf("sentinel status --json: master port %v (%T), want the number %d", st[0].Master["port"], st[0].Master["port"], master.Port)
	}

	master.Kill()
	cluster.WaitFor(t, 20*time.Second, "failover", func() error {
		got, err := masterAddr(s, "mymaster")
		if err != nil || got != replica.Addr() {
			return fmt.Errorf("master %s %v", got, err)
		}
		return nil
	})
	cluster.WaitFor(t, 5*time.Second, "metrics after the failover", func() error {
		after := scrape(t, url+"/metrics")
		for _, ck := range []struct {
			name, labels string
			want         float64
		}{
			{"redis_sentinel_master_switches_total", `master_name="mymaster"`, 1},
			{"redis_sentinel_failovers_total", `result="ok"`, 1},
			{"redis_sentinel_failover_duration_seconds_count", `master_name="mymaster"`, 1},
			{"redis_sentinel_master_config_epoch", `master_name="mymaster"`, 1},
			{"redis_sentinel_master_status", `master_address="` + replica.Addr() + `"`, 1},
			{"redis_sentinel_current_epoch", "", 1},
		} {
			if v, ok := metricValue(after, ck.name, ck.labels); !ok || v != ck.want {
				return fmt.Errorf("%s{%s} = %v (found %v), want %v", ck.name, ck.labels, v, ok, ck.want)
			}
		}
		return nil
	})
}
