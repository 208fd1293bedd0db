package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestMonitoringFilesNameOurMetrics checks monitoring/: the Grafana
// dashboard is valid JSON, the alert rules valid Prometheus rule YAML
// (every rule named, with an expression), and every series either names
// is one a running qsentinel exports from its start (a dashboard that
// shows "No data" until the first failover is what issue 18 item 9 is
// about).
func TestMonitoringFilesNameOurMetrics(t *testing.T) {
	root := repoRoot(t)
	var exprs []string
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	b, err := os.ReadFile(filepath.Join(root, "monitoring/grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			exprs = append(exprs, q.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err = os.ReadFile(filepath.Join(root, "monitoring/alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("alerts: %v", err)
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			n++
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: a rule without a name or expression: %+v", g.Name, r)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	if n == 0 || len(dash.Panels) == 0 {
		t.Fatalf("%d rules, %d panels", n, len(dash.Panels))
	}
	// PromQL itself, where Prometheus's own checker is installed (Debian's
	// prometheus package has it; .ci/run installs it).
	if promtool, err := exec.LookPath("promtool"); err == nil {
		if out, err := exec.Command(promtool, "check", "rules", filepath.Join(root, "monitoring/alerts.yml")).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, out)
		}
	} else {
		t.Log("promtool not installed: the rules' PromQL is not checked")
	}

	// What a freshly started sentinel with one master exports.
	c := cluster.New(t)
	master := c.StartRedis("master")
	mport := cluster.MustFreePort(t)
	c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: time.Second}},
		Args:     []string{"--metrics", "127.0.0.1:" + strconv.Itoa(mport)},
	})
	exported := map[string]bool{}
	cluster.WaitFor(t, 10*time.Second, "per-master series", func() error {
		body := scrape(t, "http://127.0.0.1:"+strconv.Itoa(mport)+"/metrics")
		for _, l := range strings.Split(body, "\n") {
			if f := strings.Fields(l); len(f) >= 4 && f[0] == "#" && f[1] == "TYPE" {
				exported[f[2]] = true
				if f[3] == "histogram" {
					for _, suf := range []string{"_bucket", "_sum", "_count"} {
						exported[f[2]+suf] = true
					}
				}
			}
		}
		if !exported["redis_sentinel_master_status"] {
			return errors.New("no master series yet")
		}
		return nil
	})
	name := regexp.MustCompile(`\b(redis_sentinel_[a-z0-9_]+)\b`)
	var missing []string
	for _, e := range exprs {
		for _, m := range name.FindAllString(e, -1) {
			if !exported[m] {
				missing = append(missing, m)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("series named in monitoring/ that a started sentinel does not export: %v", slices.Compact(missing))
	}
}
