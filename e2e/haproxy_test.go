package e2e

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestHAProxyCrashFollowsQuorum is the seed setup's crash: our agent keeps
// HAProxy on the quorum's master, so the rebooted, empty old master never
// takes a write and no acknowledged write is lost. The same scenario with
// the common tcp-check recipe and redis-sentinel runs too, for comparison.
func TestHAProxyCrashFollowsQuorum(t *testing.T) {
	var oursOutage time.Duration
	var oursLost, oursAcked int
	t.Run("ours-agent-check", func(t *testing.T) {
		oursOutage, oursLost, oursAcked = cluster.CrashScenario(t, cluster.Ours)
		t.Logf("ours + agent-check: outage %v, lost %d of %d acknowledged writes", oursOutage.Round(time.Millisecond), oursLost, oursAcked)
		if oursLost != 0 {
			t.Errorf("%d acknowledged writes lost", oursLost)
		}
		if limit := 2 * time.Second; oursOutage > limit {
			t.Errorf("write outage %v, want at most down-after + 1 s = %v", oursOutage, limit)
		}
	})
	t.Run("redis-sentinel-tcp-check", func(t *testing.T) {
		outage, lost, acked := cluster.CrashScenario(t, cluster.Real)
		// Not a failure: this is the recipe we replace; the numbers are
		// printed so the difference stays visible (BENCHMARKS.md).
		t.Logf("redis-sentinel + tcp-check role:master: outage %v, lost %d of %d acknowledged writes", outage.Round(time.Millisecond), lost, acked)
	})
}

// TestHAProxyPlannedSwitchover: SENTINEL FAILOVER <name> COORDINATED under a
// writer through HAProxy loses no acknowledged write and pauses writes for
// at most a second.
func TestHAProxyPlannedSwitchover(t *testing.T) {
	r := cluster.NewHAProxyRig(t, cluster.Ours)
	g := &group{c: r.C, ss: r.Sentinels}
	w, stop := r.StartWriter(t)
	time.Sleep(time.Second)
	start := time.Now()
	if v, err := g.ss[0].Do("SENTINEL", "FAILOVER", "mymaster", "COORDINATED"); err != nil || v.Text() != "OK" {
		t.Fatalf("SENTINEL FAILOVER mymaster COORDINATED: %v %v", v, err)
	}
	g.waitSwitched(t, "mymaster", r.Replica.Addr(), 20*time.Second)
	time.Sleep(2 * time.Second)
	stop()
	outage := w.Outage(start)
	lost, acked, err := w.Lost(r.Replica.Addr())
	if err != nil {
		t.Fatal(err)
	}
	failures := w.Failures()
	t.Logf("planned switchover: write pause %v, %d failed writes, lost %d of %d acknowledged", outage.Round(time.Millisecond), failures, lost, acked)
	if lost != 0 {
		t.Errorf("%d acknowledged writes lost", lost)
	}
	if outage > time.Second {
		t.Errorf("writes paused %v, want at most 1 s", outage)
	}
	info, err := r.Master.Info("replication")
	if err != nil || info["role"] != "slave" || info["master_port"] != strconv.Itoa(r.Replica.Port) {
		t.Errorf("old master after the switchover: %v %v", info, err)
	}
}

// TestHAProxyDeadMasterFailsFast: a client that reaches HAProxy after the
// master died, before the sentinels noticed, gets its error at once (the
// generated config's retries 0) instead of waiting in HAProxy's connect
// retries, a second each, for a master that is gone: that wait came on
// top of the failover in every client's outage.
func TestHAProxyDeadMasterFailsFast(t *testing.T) {
	r := cluster.NewHAProxyRig(t, cluster.Ours)
	// Until the agents have answered, HAProxy may route to the replica.
	_, stop := r.StartWriter(t)
	time.Sleep(time.Second)
	stop()
	r.Master.Kill()
	// Attempts only well inside down-after (1 s from the last reply, which
	// came at most a PING period, 250 ms, before the kill): the master is
	// dead and not yet failed over.
	killed := time.Now()
	for time.Since(killed) < 600*time.Millisecond {
		start := time.Now()
		c, err := net.DialTimeout("tcp", r.Fronts[0], time.Second)
		if err != nil {
			t.Fatalf("HAProxy frontend: %v", err)
		}
		c.SetDeadline(time.Now().Add(3 * time.Second))
		_, err = c.Write([]byte("*1\r\n$4\r\nPING\r\n"))
		if err == nil {
			var buf [64]byte
			var n int
			n, err = c.Read(buf[:])
			if err == nil {
				t.Fatalf("a dead master answered through HAProxy: %q", buf[:n])
			}
		}
		c.Close()
		if took := time.Since(start); took > 300*time.Millisecond {
			t.Errorf("the client waited %v for its error (%v), want it at once", took.Round(time.Millisecond), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
