package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestFenceOldMaster is issue 17 item 4 with real Redis: fencing turned on
// at run time (SENTINEL SET fence-min-replicas / fence-max-lag) sets
// min-replicas-to-write on the master; Aphyr's partition (the master and
// one sentinel cut from the other two and the replica, clients still
// reaching both) makes the old master refuse writes (NOREPLICAS) within
// fence-max-lag + 1 s; the promoted replica takes writes the moment it is
// master; healed, the old master is demoted and the new master fenced.
func TestFenceOldMaster(t *testing.T) {
	r := newJepsenRig(t, setupOurs)
	for _, s := range r.ss {
		if v, err := s.Do("SENTINEL", "SET", rigMaster, "fence-min-replicas", "1", "fence-max-lag", "1"); err != nil || v.Text() != "OK" {
			t.Fatalf("%s: SENTINEL SET: %v %v", s.Name, v, err)
		}
	}
	minReplicas := func(i int) string {
		v, err := r.redis[i].Do("CONFIG", "GET", "min-replicas-to-write")
		if err != nil {
			return err.Error()
		}
		if a := v.Strings(); len(a) == 2 {
			return a[1]
		}
		return v.Text()
	}
	cluster.WaitFor(t, 10*time.Second, "the master fenced", func() error {
		if got := minReplicas(0); got != "1" {
			return fmt.Errorf("min-replicas-to-write %s", got)
		}
		return nil
	})
	// The replica kept a fence from an earlier term as master (CONFIG
	// REWRITE'd when it was fenced): its promotion must lift it.
	if v, err := r.redis[1].Do("CONFIG", "SET", "min-replicas-to-write", "1"); err != nil || v.Text() != "OK" {
		t.Fatalf("replica CONFIG SET: %v %v", v, err)
	}
	// Clients reach the old master through its proxy (untagged: no fault).
	old, err := cluster.Dial(r.rproxy[0].Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { old.Close() }()
	old.Must(t, "SET", "k", "before")

	cut := time.Now()
	r.partition([]int{0}, 0)
	var refused time.Duration
	cluster.WaitFor(t, 5*time.Second, "the old master to refuse writes", func() error {
		v, err := old.Do("SET", "k", "during")
		if err != nil {
			// Sentinel 0, cut off with the old master, drops its clients
			// (fail-closed discovery): a client reconnects, as here.
			old.Close()
			if old, err = cluster.Dial(r.rproxy[0].Addr()); err != nil {
				t.Fatal(err)
			}
			return err
		}
		if !strings.HasPrefix(v.Text(), "NOREPLICAS") {
			return fmt.Errorf("SET answered %q", v.Text())
		}
		refused = time.Since(cut)
		return nil
	})
	t.Logf("old master refuses writes %v after the cut", refused.Round(time.Millisecond))
	if refused > 3*time.Second {
		t.Errorf("old master took writes for %v (fence-max-lag 1)", refused)
	}

	// The replica is promoted and takes writes at once: no fence on it.
	var promotedAt time.Time
	cluster.WaitFor(t, 20*time.Second, "the replica promoted", func() error {
		role, err := r.redis[1].Do("ROLE")
		if err != nil {
			return err
		}
		if a := role.Strings(); len(a) == 0 || a[0] != "master" {
			return fmt.Errorf("replica's role %v", role)
		}
		promotedAt = time.Now()
		return nil
	})
	v, err := r.redis[1].Do("SET", "k", "new")
	if err != nil || v.Text() != "OK" {
		t.Fatalf("promoted replica refused a write %v after its promotion: %v %v", time.Since(promotedAt), v, err)
	}
	if got := minReplicas(1); got != "0" {
		t.Errorf("promoted replica's min-replicas-to-write %s", got)
	}

	r.heal()
	master := r.converge(60 * time.Second)
	if master != 1 {
		t.Fatalf("converged on redis%d", master)
	}
	cluster.WaitFor(t, 30*time.Second, "the new master fenced once its replica is back", func() error {
		if got := minReplicas(1); got != "1" {
			return fmt.Errorf("min-replicas-to-write %s", got)
		}
		return nil
	})
	if v, err := r.redis[1].Do("GET", "k"); err != nil || v.Text() != "new" {
		t.Fatalf("k = %v %v", v, err)
	}
}
