package sim_test

import (
	"errors"
	"flag"
	"fmt"
	"github.com/qsentinel/qsentinel/failover"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

var (
	seedFlag  = flag.Uint64("seed", 0, "run only this seed of TestSeeds (replay); also $SIM_SEED")
	seedsFlag = flag.Int("seeds", 0, "how many seeds TestSeeds runs (default 30); also $SIM_SEEDS")
)

// TestSeeds runs the Redis chaos scenario over many seeds. Until the
// failover state machines are plugged in, its "operator" plays a
// sentinel's part by hand: it polls INFO like one, promotes a random
// replica now and then, and reconciles the others to it.
func TestSeeds(t *testing.T) {
	first, n := sim.SeedRange(*seedFlag, *seedsFlag, 30)
	sim.RunSeeds(t, sim.SeedOptions{
		First:  first,
		Count:  n,
		Replay: "go test ./sim/ -run '^TestSeeds$' -v -seed %d",
	}, redisChaos)
}

var servers = []string{"redis-6380", "redis-6381", "redis-6382"}

func serverAddr(name string) sim.Addr {
	var port int
	fmt.Sscanf(name, "redis-%d", &port)
	return sim.Addr{Host: "10.0.0.1", Port: port}
}

// redisChaos: three servers, an operator, 40 s of random faults, promotions
// and writes, then 20 s healed. Checks: every INFO parses as the sentinel
// reads a real server's and agrees with ROLE-level facts; at the end one
// master, every other server its replica with the link up and the same
// offset.
func redisChaos(cfg sim.Config) (*sim.World, error) {
	w := sim.New(cfg)
	for i, name := range servers {
		opts := simredis.Options{ReplPeriod: 200 * time.Millisecond, ReplTimeout: 5 * time.Second, LoadTime: 500 * time.Millisecond}
		if i > 0 {
			opts.ReplicaOf = serverAddr(servers[0])
		}
		w.Add(name, serverAddr(name), opts.ReplPeriod, simredis.New(opts))
	}
	var op *operator
	// The operator polls at redis-sentinel's INFO period during a failover.
	w.Add("operator", sim.Addr{Host: "10.0.0.2", Port: 26379}, time.Second, func(ep *sim.Endpoint) sim.Node {
		op = &operator{ep: ep, cl: sim.NewClient(ep), want: servers[0]}
		return op
	})
	w.Check(func(time.Time) error { return op.err })

	const chaosFor, settle = 40 * time.Second, 20 * time.Second
	for at := time.Duration(500+w.Rand().IntN(2500)) * time.Millisecond; at < chaosFor; at += time.Duration(500+w.Rand().IntN(2500)) * time.Millisecond {
		w.At(w.Now().Add(at), "chaos", func() { chaosStep(w, op) })
	}
	w.After(chaosFor, "heal everything", func() {
		w.HealAll()
		for _, name := range servers {
			if w.Node(name) == nil {
				w.Restart(name)
			}
		}
	})
	if err := w.RunFor(chaosFor + settle); err != nil {
		return w, err
	}
	got, err := simredis.CheckSettled(w, servers)
	if err == nil && got != op.want {
		err = fmt.Errorf("settled on %s, the operator wants %s", got, op.want)
	}
	return w, err
}

// chaosStep draws one fault or action.
func chaosStep(w *sim.World, op *operator) {
	r := w.Rand()
	a, b := servers[r.IntN(3)], servers[r.IntN(3)]
	switch r.IntN(10) {
	case 0:
		w.Partition([]string{a}, others(a, "operator"))
	case 1:
		if a != b {
			w.Cut(a, b)
		}
	case 2:
		w.Loss(a, "operator", 0.3)
		w.Loss("operator", b, 0.1)
	case 3:
		w.Delay("operator", a, 50*time.Millisecond)
		w.Reorder(a, b, 20*time.Millisecond)
	case 4:
		if r.IntN(2) == 0 {
			w.Crash(a)
		} else {
			w.Kill(a)
		}
		w.After(time.Duration(1+r.IntN(3))*time.Second, "restart "+a, func() { w.Restart(a) })
	case 5:
		w.Freeze(a, time.Duration(1+r.IntN(3))*time.Second)
	case 6:
		w.HealAll()
	case 7:
		op.promote(a)
	default:
		if s, ok := w.Node(op.want).(*simredis.Server); ok {
			s.Write(int64(1 + r.IntN(1000))) // refused while paused or a replica: fine
		}
	}
}

func others(except ...string) []string {
	var out []string
	for _, n := range servers {
		skip := false
		for _, e := range except {
			skip = skip || n == e
		}
		if !skip {
			out = append(out, n)
		}
	}
	return append(out, except[1:]...)
}

// operator polls every server like a sentinel and drives them to one
// master, want, the way a sentinel reconfigures replicas after a failover.
type operator struct {
	ep   *sim.Endpoint
	cl   *sim.Client
	want string
	err  error
}

var _ sim.Node = (*operator)(nil)

const opTimeout = 2 * time.Second

// tx sends cmds inside MULTI/EXEC, as sentinel's sendTx does; replies
// are not looked at (the effect shows in the next INFO).
func (o *operator) tx(now time.Time, to string, cmds ...[]string) {
	o.cl.Do(now, to, "cmd", opTimeout, []string{"MULTI"}, nil)
	for _, c := range cmds {
		o.cl.Do(now, to, "cmd", opTimeout, c, nil)
	}
	o.cl.Do(now, to, "cmd", opTimeout, []string{"EXEC"}, nil)
}

func (o *operator) promote(name string) {
	o.want = name
	o.ep.Tracef("operator promotes %s", name)
}

func (o *operator) Tick(now time.Time) {
	o.cl.Expire(now)
	for _, name := range servers {
		o.cl.Do(now, name, "cmd", opTimeout, []string{"PING"}, nil)
		o.cl.Do(now, name, "cmd", opTimeout, []string{"INFO"}, func(v any, err error) { o.gotInfo(now, name, v, err) })
	}
}

func (o *operator) Receive(_ time.Time, from string, msg sim.Msg) { o.cl.Handle(from, msg) }

func (o *operator) gotInfo(now time.Time, name string, v any, err error) {
	if err != nil {
		return // timed out or closed: the next tick asks again
	}
	text, ok := v.(string)
	if !ok {
		o.err = fmt.Errorf("INFO from %s: %s", name, sim.FormatValue(v))
		return
	}
	info := failover.ParseInfo(text)
	if len(info.RunID) != 40 || (info.Role != failover.KindMaster && info.Role != failover.KindReplica) {
		o.err = fmt.Errorf("INFO from %s reads as %+v:\n%s", name, info, text)
		return
	}
	o.reconcile(now, name, info)
}

// reconcile sends what makes name fit the wanted topology, inside a
// MULTI with CONFIG REWRITE as the sentinel does.
func (o *operator) reconcile(now time.Time, name string, info sentinel.InfoReport) {
	want := serverAddr(o.want)
	switch {
	case name == o.want && info.Role != failover.KindMaster:
		o.tx(now, name, []string{"SLAVEOF", "NO", "ONE"}, []string{"CONFIG", "REWRITE"})
	case name != o.want && (info.Role != failover.KindReplica || info.MasterHost != want.Host || info.MasterPort != want.Port):
		o.tx(now, name, []string{"SLAVEOF", want.Host, fmt.Sprint(want.Port)}, []string{"CONFIG", "REWRITE"},
			[]string{"CLIENT", "KILL", "TYPE", "normal"})
	}
}

// A failing scenario must say its seed and how to replay it: run one that
// fails on purpose through a testing.TB that records instead of failing.
func TestSeedFailureSaysHowToReplay(t *testing.T) {
	rec := &recordingTB{TB: t}
	broken := errors.New("broken on purpose")
	st := sim.RunSeeds(rec, sim.SeedOptions{First: 5, Count: 10, Replay: "go test ./sim/ -run '^TestSeeds$' -seed %d", MaxFailures: 2, Parallel: 4},
		func(cfg sim.Config) (*sim.World, error) {
			w := chatter(cfg)
			if cfg.Seed%3 == 0 {
				return w, broken
			}
			return w, nil
		})
	if fmt.Sprint(st.Failed) != "[6 9]" || st.Seeds != 5 {
		t.Fatalf("failed %v after %d seeds, want [6 9] after 5 (stop at MaxFailures)", st.Failed, st.Seeds)
	}
	if len(rec.errors) != 2 {
		t.Fatalf("reported %d failures: %q", len(rec.errors), rec.errors)
	}
	for _, want := range []string{"seed 6 failed: broken on purpose", "replay: go test ./sim/ -run '^TestSeeds$' -seed 6\n", "last 80 of ", "recv  "} {
		if !strings.Contains(rec.errors[0], want) {
			t.Errorf("failure report lacks %q:\n%.600s", want, rec.errors[0])
		}
	}
}

func TestSeedRunnerCatchesANonDeterministicScenario(t *testing.T) {
	rec := &recordingTB{TB: t}
	runs := uint64(0)
	sim.RunSeeds(rec, sim.SeedOptions{Count: 1}, func(cfg sim.Config) (*sim.World, error) {
		runs++ // state outside the world: the second run differs
		cfg.Seed += runs
		return chatter(cfg), nil
	})
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "not deterministic") {
		t.Fatalf("errors %q, want the determinism failure", rec.errors)
	}
}

func TestSeedRange(t *testing.T) {
	t.Setenv("SIM_SEED", "")
	t.Setenv("SIM_SEEDS", "")
	for _, c := range []struct {
		seed        uint64
		seeds, def  int
		first       uint64
		count       int
		env, envVal string
	}{
		{0, 0, 30, 1, 30, "", ""},
		{0, 500, 30, 1, 500, "", ""},
		{42, 500, 30, 42, 1, "", ""},
		{0, 0, 30, 1, 7, "SIM_SEEDS", "7"},
		{0, 0, 30, 99, 1, "SIM_SEED", "99"},
	} {
		if c.env != "" {
			t.Setenv(c.env, c.envVal)
		}
		first, count := sim.SeedRange(c.seed, c.seeds, c.def)
		if first != c.first || count != c.count {
			t.Errorf("SeedRange(%d, %d, %d) with %s=%s = %d, %d; want %d, %d",
				c.seed, c.seeds, c.def, c.env, c.envVal, first, count, c.first, c.count)
		}
		if c.env != "" {
			t.Setenv(c.env, "")
		}
	}
}

// recordingTB is a testing.TB whose Errorf records instead of failing.
type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recordingTB) Helper() {}
