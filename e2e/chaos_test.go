package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestRandomFaultRounds runs seeded rounds of random faults against three
// of our sentinels with a writer on the current master, and checks the
// invariants after each round has healed. QSENTINEL_CHAOS_SEED replays a
// run; QSENTINEL_CHAOS_ROUNDS sets its length (`make chaos` runs a long
// one). The seed is printed first, and again on failure.
func TestRandomFaultRounds(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("QSENTINEL_CHAOS_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("QSENTINEL_CHAOS_SEED: %v", err)
		}
		seed = s
	}
	rounds := 6
	if v := os.Getenv("QSENTINEL_CHAOS_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("QSENTINEL_CHAOS_ROUNDS: want a positive number, not %q", v)
		}
		rounds = n
	}
	t.Logf("seed %d, %d rounds (replay: QSENTINEL_CHAOS_SEED=%d QSENTINEL_CHAOS_ROUNDS=%d go test ./e2e -run TestRandomFaultRounds)", seed, rounds, seed, rounds)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed with seed %d", seed)
		}
	})
	impls := threeOurs
	if v := os.Getenv("QSENTINEL_CHAOS_IMPLS"); v != "" {
		impls = nil
		for _, f := range strings.Split(v, ",") {
			switch strings.TrimSpace(f) {
			case "ours":
				impls = append(impls, cluster.Ours)
			case "redis-sentinel", "real":
				impls = append(impls, cluster.Real)
			default:
				t.Fatalf("QSENTINEL_CHAOS_IMPLS: %q is neither ours nor redis-sentinel", f)
			}
		}
		if len(impls) != 3 {
			t.Fatalf("QSENTINEL_CHAOS_IMPLS: want three sentinels, got %d", len(impls))
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r := newFaultRig(t, impls, time.Second, 4*time.Second)
	master := 0
	stats := map[string]int{}
	for round := 1; round <= rounds; round++ {
		f := chaosFaults[rng.IntN(len(chaosFaults))]
		hold := time.Duration(500+rng.IntN(3500)) * time.Millisecond
		victim := rng.IntN(len(r.ss))
		t.Logf("round %d: %s for %v (sentinel %d, master redis%d)", round, f.name, hold, victim, master)
		// Clients write to Redis directly, not through the sentinels' proxies.
		w := &cluster.Writer{Addr: r.redis[master].Addr(), Prefix: "chaos", ReconnectEvery: 5}
		stop := w.Start()
		f.run(t, r, master, victim, hold)
		master = r.converge(t, 45*time.Second)
		stop()
		r.checkInvariants(t)
		stats[f.name]++
		if t.Failed() {
			t.Fatalf("round %d (%s) broke an invariant; writer: %d acked, %d failed", round, f.name, w.Acked(), w.Failures())
		}
	}
	t.Logf("rounds by fault: %v", stats)
}

type chaosFault struct {
	name string
	run  func(t *testing.T, r *faultRig, master, victim int, hold time.Duration)
}

var chaosFaults = []chaosFault{
	{"kill -9 master, restart empty", func(t *testing.T, r *faultRig, master, _ int, hold time.Duration) {
		r.redis[master].Kill()
		time.Sleep(hold + 2*time.Second)
		if err := r.redis[master].RestartAsMaster(); err != nil {
			t.Fatal(err)
		}
	}},
	{"SIGSTOP master", func(t *testing.T, r *faultRig, master, _ int, hold time.Duration) {
		r.redis[master].Freeze()
		time.Sleep(hold)
		r.redis[master].Signal(syscall.SIGCONT)
	}},
	{"isolate one sentinel", func(t *testing.T, r *faultRig, _, victim int, hold time.Duration) {
		r.isolate(victim)
		time.Sleep(hold + time.Second)
		r.heal()
	}},
	{"cut master from sentinels", func(t *testing.T, r *faultRig, master, _ int, hold time.Duration) {
		r.cutRedis(master)
		time.Sleep(hold)
		r.heal()
	}},
	{"master and one sentinel split from the rest", func(t *testing.T, r *faultRig, master, victim int, hold time.Duration) {
		var side [2]bool
		side[master] = true
		r.split([]int{victim}, side)
		time.Sleep(hold + time.Second)
		r.heal()
	}},
	{"one-way loss from master", func(t *testing.T, r *faultRig, master, _ int, hold time.Duration) {
		r.rproxy[master].Set("", cluster.Fault{HoldDown: true})
		time.Sleep(hold)
		r.heal()
	}},
	{"latency 150ms on master links", func(t *testing.T, r *faultRig, master, _ int, hold time.Duration) {
		r.rproxy[master].SetLatency(150 * time.Millisecond)
		time.Sleep(hold)
		r.heal()
	}},
	{"kill -9 a sentinel and restart", func(t *testing.T, r *faultRig, _, victim int, hold time.Duration) {
		r.ss[victim].Kill()
		time.Sleep(hold)
		r.restartSentinel(t, victim)
	}},
	{"SIGSTOP a sentinel", func(t *testing.T, r *faultRig, _, victim int, hold time.Duration) {
		r.ss[victim].Freeze()
		time.Sleep(hold)
		r.ss[victim].Signal(syscall.SIGCONT)
	}},
	{"kill -9 master and a sentinel", func(t *testing.T, r *faultRig, master, victim int, hold time.Duration) {
		r.redis[master].Kill()
		time.Sleep(hold / 2)
		r.ss[victim].Kill()
		time.Sleep(hold/2 + 2*time.Second)
		r.restartSentinel(t, victim)
		if err := r.redis[master].RestartAsMaster(); err != nil {
			t.Fatal(err)
		}
	}},
}

func init() {
	// Keep the names unique: the round statistics are keyed by them.
	seen := map[string]bool{}
	for _, f := range chaosFaults {
		if seen[f.name] {
			panic(fmt.Sprintf("duplicate chaos fault %q", f.name))
		}
		seen[f.name] = true
	}
}
