package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// Chaos is the simulator's main scenario: a fleet (two masters on one
// Redis host with replicas on two others, three sentinels, quorum 2), a
// writer on every master, ChaosFor of random faults drawn from the seed
// (a master or its whole host killed, partitions that leave a master with
// a minority of sentinels, one-way cuts, loss, delay and reordering,
// sentinels crashed and restarted, frozen, or their clocks jumped), then
// everything healed and restarted, and Settle of calm. After every event
// the invariants hold (Ledger, split brain); at the end every group has
// settled on one master that every sentinel names.
func Chaos(cfg sim.Config) (*sim.World, error) { return chaos(cfg, "") }

func chaos(cfg sim.Config, mutant Mutant) (*sim.World, error) {
	// Odd seeds fence their masters (failover/fence.go).
	f := NewFleet(cfg, Layout{Masters: 2, Hosts: 3, Sentinels: 3, Quorum: 2, Fence: int(cfg.Seed % 2), Mutant: mutant})
	w := f.W
	const start, chaosFor, settle = 3 * time.Second, 25 * time.Second, 35 * time.Second
	// Writes stop a while before the end, so replicas can catch up.
	f.writeEvery(100*time.Millisecond, w.Now().Add(start+chaosFor+settle-5*time.Second))
	for at := start; at < start+chaosFor; at += time.Duration(1000+w.Rand().IntN(4000)) * time.Millisecond {
		w.At(w.Now().Add(at), "chaos", func() { f.chaosStep() })
	}
	w.After(start+chaosFor, "heal everything", func() { f.healAll() })
	if err := w.RunFor(start + chaosFor + settle); err != nil {
		return w, err
	}
	// Replicas trail by a replication period; a fence is raised at the
	// master's next INFO (every 2 s here).
	if err := f.settle(5 * time.Second); err != nil {
		return w, fmt.Errorf("%v after healing: %w", settle, err)
	}
	return w, nil
}

// settle checks CheckSettled for up to d: replicas trail their master by
// a replication period (a hello PUBLISH moves the master's offset).
func (f *Fleet) settle(d time.Duration) error {
	var err error
	for end := f.W.Now().Add(d); ; {
		if err = f.CheckSettled(); err == nil {
			return nil
		}
		if !f.W.Now().Before(end) {
			return fmt.Errorf("not settled: %w", err)
		}
		if rerr := f.W.RunFor(50 * time.Millisecond); rerr != nil {
			return rerr
		}
	}
}

// writeEvery advances every running master's offset that takes writes,
// as clients writing, until the time given.
func (f *Fleet) writeEvery(d time.Duration, until time.Time) {
	var tick func()
	tick = func() {
		if f.W.Now().After(until) {
			return
		}
		for _, g := range f.Groups {
			for _, s := range g.Servers {
				// A fenced master without good replicas refuses
				// writes (NOREPLICAS).
				if srv := f.server(s); srv != nil && srv.Writable(f.W.Now()) {
					srv.Write(10)
				}
			}
		}
		f.W.After(d, "write", tick)
	}
	f.W.After(d, "write", tick)
}

func (f *Fleet) healAll() {
	f.W.HealAll()
	for _, name := range f.W.Names() {
		if f.W.Node(name) == nil {
			f.W.Restart(name)
		}
	}
}

// chaosStep applies one fault drawn from the world's random source.
func (f *Fleet) chaosStep() {
	w := f.W
	rng := w.Rand()
	pick := func(names []string) string { return names[rng.IntN(len(names))] }
	redisAll := f.servers()
	hostOf := func(h int) []string {
		var out []string
		for _, g := range f.Groups {
			out = append(out, g.Servers[h])
		}
		return out
	}
	switch rng.IntN(11) {
	case 0: // kill -9 of one server (a master most of the time)
		name := f.Groups[rng.IntN(len(f.Groups))].Servers[0]
		if rng.IntN(3) == 0 {
			name = pick(redisAll)
		}
		w.Kill(name)
	case 1: // a whole Redis machine loses power
		for _, s := range hostOf(rng.IntN(f.Layout.Hosts)) {
			w.Crash(s)
		}
	case 2: // the first host and one sentinel cut off from the rest
		side := append(hostOf(0), pick(f.Sentinels))
		w.Partition(side, others(w.Names(), side))
	case 3: // one sentinel alone
		w.Isolate(pick(f.Sentinels))
	case 4: // one-way loss between two endpoints
		a, b := pick(w.Names()), pick(w.Names())
		if a != b {
			w.Cut(a, b)
		}
	case 5: // lossy link
		a, b := pick(f.Sentinels), pick(redisAll)
		w.Loss(a, b, 0.05+rng.Float64()*0.3)
	case 6: // slow and reordering links
		a, b := pick(w.Names()), pick(w.Names())
		if a != b {
			w.Delay(a, b, time.Duration(rng.IntN(300))*time.Millisecond)
			w.Reorder(a, b, time.Duration(rng.IntN(200))*time.Millisecond)
		}
	case 7: // a sentinel crashes, and comes back a moment later
		s := pick(f.Sentinels)
		w.Crash(s)
		w.After(time.Duration(rng.IntN(3000))*time.Millisecond, "restart "+s, func() { w.Restart(s) })
	case 8: // a sentinel is frozen (SIGSTOP), then goes on
		w.Freeze(pick(f.Sentinels), time.Duration(500+rng.IntN(4000))*time.Millisecond)
	case 9: // a sentinel's clock jumps
		w.JumpClock(pick(f.Sentinels), time.Duration(rng.IntN(20000)-10000)*time.Millisecond)
	case 10: // heal the network for a while
		w.HealAll()
	}
}

func (f *Fleet) servers() []string {
	var out []string
	for _, g := range f.Groups {
		out = append(out, g.Servers...)
	}
	return out
}

func others(all, side []string) []string {
	var out []string
	for _, n := range all {
		in := false
		for _, s := range side {
			in = in || s == n
		}
		if !in {
			out = append(out, n)
		}
	}
	return out
}

// server is the running Redis model named, nil while it is down.
func (f *Fleet) server(name string) *simredis.Server {
	s, _ := f.W.Node(name).(*simredis.Server)
	return s
}
