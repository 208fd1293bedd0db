package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Config sets up a World. Zero values take the defaults below.
type Config struct {
	// Seed drives every random choice of the run.
	Seed uint64
	// MinDelay and MaxDelay bound a message's time on the wire before any
	// fault adds to it (defaults 100µs and 2ms: loopback to a LAN).
	MinDelay, MaxDelay time.Duration
	// TraceLines is how many trace lines are kept for printing (default
	// 2000); every line still counts in Trace.Sum.
	TraceLines int
	// Start is the world's time zero (default 2026-01-01 00:00 UTC).
	Start time.Time
	// Lean formats no trace line: the trace only sums what happened, so a
	// seed costs a fraction. RunSeeds runs seeds lean and replays a
	// failing one in full to print its trace.
	Lean bool
}

// World is the simulated universe: clock, event queue, random source,
// endpoints and the network between them. It is not safe for concurrent
// use, by design: one goroutine runs it.
type World struct {
	cfg     Config
	now     time.Time
	seq     uint64
	rng     *rand.Rand
	queue   eventQueue
	eps     map[string]*Endpoint
	names   []string // sorted, so loops over endpoints are deterministic
	dir     map[Addr]string
	net     network
	wire    wire
	trouble trouble
	trace   *Trace
	checks  []func(now time.Time) error
	stopErr error
}

// New returns an empty world at cfg.Start.
func New(cfg Config) *World {
	if cfg.MaxDelay == 0 {
		cfg.MinDelay, cfg.MaxDelay = 100*time.Microsecond, 2*time.Millisecond
	}
	if cfg.MaxDelay < cfg.MinDelay {
		cfg.MaxDelay = cfg.MinDelay
	}
	if cfg.TraceLines == 0 {
		cfg.TraceLines = 2000
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &World{
		cfg:     cfg,
		now:     cfg.Start,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		eps:     map[string]*Endpoint{},
		dir:     map[Addr]string{},
		net:     newNetwork(),
		wire:    newWire(),
		trouble: newTrouble(),
		trace:   newTrace(cfg.Start, cfg.TraceLines),
	}
}

// Seed is the seed the world was made with.
func (w *World) Seed() uint64 { return w.cfg.Seed }

// Now is the world's time (a node's own clock may differ, see JumpClock).
func (w *World) Now() time.Time { return w.now }

// Elapsed is the time since the world's start.
func (w *World) Elapsed() time.Duration { return w.now.Sub(w.cfg.Start) }

// Rand is the world's random source, for scenarios choosing faults.
func (w *World) Rand() *rand.Rand { return w.rng }

// Trace is the record of what happened.
func (w *World) Trace() *Trace { return w.trace }

// Add creates the endpoint name at addr and starts its node. Tick is
// called every period (none when period is 0), first after a random part
// of one period so that nodes do not tick in lockstep.
func (w *World) Add(name string, addr Addr, period time.Duration, start StartFunc) *Endpoint {
	if _, dup := w.eps[name]; dup {
		panic(fmt.Sprintf("sim: endpoint %q added twice", name))
	}
	if other, dup := w.dir[addr]; dup {
		panic(fmt.Sprintf("sim: address %s of %q already belongs to %q", addr, name, other))
	}
	ep := &Endpoint{w: w, name: name, addr: addr, period: period, start: start,
		disk: Disk{files: map[string][]byte{}}}
	w.eps[name] = ep
	w.names = append(w.names, name)
	slices.Sort(w.names)
	w.dir[addr] = name
	w.boot(ep)
	return ep
}

// boot starts a new incarnation of ep's node and its ticks.
func (w *World) boot(ep *Endpoint) {
	ep.incarnation++
	ep.node = ep.start(ep)
	w.troubleAt(ep.name, w.now)
	w.tracef("start %s #%d", ep.name, ep.incarnation)
	if ep.incarnation > 1 {
		// Its peers' connections to the old process are dead: each
		// learns it (as from an RST) when the new one is up.
		for _, other := range w.names {
			if other != ep.name {
				w.send(ep.name, other, Closed{Reason: "peer restarted"})
			}
		}
	}
	if ep.period > 0 {
		first := time.Duration(w.rng.Int64N(int64(ep.period))) + 1
		w.scheduleTick(ep, ep.incarnation, first)
	}
}

func (w *World) scheduleTick(ep *Endpoint, inc uint64, after time.Duration) {
	w.schedule(w.now.Add(after), func() {
		if ep.incarnation != inc || ep.node == nil {
			return // crashed since: this incarnation's ticks end
		}
		if w.now.Before(ep.frozenUntil) {
			w.scheduleTick(ep, inc, ep.frozenUntil.Sub(w.now))
			return
		}
		ep.node.Tick(ep.Now())
		next := ep.period
		if w.now.Before(ep.tickSlowUntil) {
			next = max(next, ep.tickEvery)
		}
		w.scheduleTick(ep, inc, next)
	})
}

// Endpoint returns the endpoint named name, nil when there is none.
func (w *World) Endpoint(name string) *Endpoint { return w.eps[name] }

// RefuseWhileDown makes the host of name refuse connections while name
// is crashed, as a machine whose Redis was killed answers a connect with
// a reset: every command sent to it meanwhile ends at once, with
// ErrRefused, instead of being lost and timing out (a machine that died
// with it). Off by default.
func (w *World) RefuseWhileDown(name string) {
	if ep := w.eps[name]; ep != nil {
		ep.refuse = true
	}
}

// Node returns the running node of name, nil when crashed or unknown.
// Scenarios use it to reach a model's own methods (simredis.Server.Write).
func (w *World) Node(name string) Node {
	if ep := w.eps[name]; ep != nil {
		return ep.node
	}
	return nil
}

// Names lists the endpoints, sorted.
func (w *World) Names() []string { return slices.Clone(w.names) }

// Lookup returns the name of the endpoint at addr.
func (w *World) Lookup(addr Addr) (string, bool) {
	n, ok := w.dir[addr]
	return n, ok
}

func (w *World) tracef(format string, args ...any) {
	if w.cfg.Lean {
		w.trace.addLean(w.now, format, args)
		return
	}
	w.trace.add(w.now, fmt.Sprintf(format, args...))
}
