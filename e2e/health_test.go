package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHealthEndpoints: the HTTP health endpoints (package health) on the
// --metrics listener answer from the quorum's view of real Redis: the
// master of a name, whether an address is that master or a replica of
// it, readiness; 503 with the reason otherwise.
func TestHealthEndpoints(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	mport := cluster.MustFreePort(t)
	s := c.StartSentinel(cluster.Ours, "ours", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "mymaster", Redis: master, Quorum: 1, DownAfter: time.Second}},
		Args:     []string{"--metrics", "127.0.0.1:" + strconv.Itoa(mport)},
	})
	s.WaitReplica(t, "mymaster", replica.Addr(), 30*time.Second)
	base := "http://127.0.0.1:" + strconv.Itoa(mport)
	get := func(path string) (int, map[string]any, error) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s: %w", path, err)
		}
		return resp.StatusCode, body, nil
	}
	want := func(path string, code int) map[string]any {
		t.Helper()
		var body map[string]any
		cluster.WaitFor(t, 10*time.Second, path, func() error {
			got, b, err := get(path)
			if err != nil || got != code {
				return fmt.Errorf("%d %v (%v)", got, b, err)
			}
			body = b
			return nil
		})
		return body
	}
	want("/liveness", 200)
	want("/readiness", 200)
	if b := want("/master/mymaster", 200); b["port"] != float64(master.Port) {
		t.Errorf("/master/mymaster: %v", b)
	}
	want("/master/nosuch", 404)
	want("/master/mymaster/primary?addr="+master.Addr(), 200)
	want("/master/mymaster/primary?addr="+replica.Addr(), 503)
	want("/master/mymaster/replica?addr="+replica.Addr(), 200)
	if b := want("/master/mymaster/replica?addr="+master.Addr(), 503); b["reason"] != "is the master" {
		t.Errorf("master as a replica: %v", b)
	}
	// The master dies: no longer vouched for. The one sentinel (quorum
	// 1) may promote the replica a moment later, and then vouches for
	// the new master: the dead one's address is what must never pass
	// again (waiting for /master/mymaster to say 503 raced the failover,
	// which now ends within about a second of the down-after).
	master.Kill()
	if b := want("/master/mymaster/primary?addr="+master.Addr(), 503); b["reason"] == "" {
		t.Errorf("dead master: %v", b)
	}
	code, b, err := get("/master/mymaster")
	if err != nil || code == 200 && b["port"] == float64(master.Port) {
		t.Errorf("/master/mymaster after the kill: %d %v (%v)", code, b, err)
	}
}
