package sim

import (
	"errors"
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
		cfg:   cfg,
		now:   cfg.Start,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		eps:   map[string]*Endpoint{},
		dir:   map[Addr]string{},
		net:   newNetwork(),
		trace: newTrace(cfg.Start, cfg.TraceLines),
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
		w.scheduleTick(ep, inc, ep.period)
	})
}

// Endpoint returns the endpoint named name, nil when there is none.
func (w *World) Endpoint(name string) *Endpoint { return w.eps[name] }

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

// At runs fn at time t (now if t is past), for scenario steps such as
// "heal at 30 s". label goes to the trace.
func (w *World) At(t time.Time, label string, fn func()) {
	if t.Before(w.now) {
		t = w.now
	}
	w.schedule(t, func() {
		w.tracef("at    %s", label)
		fn()
	})
}

// After runs fn d from now; see At.
func (w *World) After(d time.Duration, label string, fn func()) { w.At(w.now.Add(d), label, fn) }

// Check adds an invariant run after every event; the first error stops
// Run and Step and is returned by them (wrapped with the time).
func (w *World) Check(fn func(now time.Time) error) { w.checks = append(w.checks, fn) }

func (w *World) schedule(at time.Time, run func()) {
	w.seq++
	w.queue.push(event{at: at, seq: w.seq, run: run})
}

// Step runs the next event. It returns false when the queue is empty or
// a check failed (see Err).
func (w *World) Step() bool {
	if w.stopErr != nil || w.queue.Len() == 0 {
		return false
	}
	e := w.queue.pop()
	w.now = e.at
	e.run()
	for _, c := range w.checks {
		if err := c(w.now); err != nil {
			w.stopErr = fmt.Errorf("at %v: %w", w.Elapsed(), err)
			w.tracef("FAIL  %v", err)
			return false
		}
	}
	return true
}

// Run runs every event up to and including until, then sets the clock to
// until. It returns the first check's error.
func (w *World) Run(until time.Time) error {
	for w.stopErr == nil && w.queue.Len() > 0 && !w.queue.peek().at.After(until) {
		w.Step()
	}
	if w.stopErr == nil && until.After(w.now) {
		w.now = until
	}
	return w.stopErr
}

// RunFor runs for d of simulated time.
func (w *World) RunFor(d time.Duration) error { return w.Run(w.now.Add(d)) }

// Err is the check failure that stopped the world, nil if none.
func (w *World) Err() error { return w.stopErr }

// ErrNoEndpoint is returned for faults naming an endpoint the world lacks.
var ErrNoEndpoint = errors.New("sim: no such endpoint")

// Crash stops name's node at once, as a machine losing power: its
// volatile state is gone, messages in flight to it are lost, nobody is
// told. Its disk stays for Restart.
func (w *World) Crash(name string) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("crash %q: %w", name, ErrNoEndpoint)
	}
	if ep.node == nil {
		return nil
	}
	ep.node = nil
	ep.frozenUntil = time.Time{}
	w.tracef("crash %s #%d", name, ep.incarnation)
	return nil
}

// Kill stops name's node as kill -9 does to a process on a machine that
// stays up: like Crash, and the kernel closes its connections, so every
// other endpoint is sent Closed{Conn: ""} from it ("all your connections
// to me"), through the network's faults like any message.
func (w *World) Kill(name string) error {
	if err := w.Crash(name); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	for _, other := range w.names {
		if other != name {
			w.send(name, other, Closed{Reason: "process killed"})
		}
	}
	return nil
}

// Restart starts a new incarnation of a crashed node (crashing it first
// when it runs): a fresh node from its StartFunc, with its disk.
func (w *World) Restart(name string) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("restart %q: %w", name, ErrNoEndpoint)
	}
	if ep.node != nil {
		if err := w.Crash(name); err != nil {
			return err
		}
	}
	w.boot(ep)
	return nil
}

// Freeze stops name for d, as SIGSTOP does: no ticks, and messages to it
// wait (in order) until it resumes; then it sees its clock jump by d.
func (w *World) Freeze(name string, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("freeze %q: %w", name, ErrNoEndpoint)
	}
	ep.frozenUntil = w.now.Add(d)
	w.tracef("freeze %s for %v", name, d)
	return nil
}

// JumpClock moves name's own clock by d (negative: backwards), as a
// wall-clock step does; the world's time is unchanged.
func (w *World) JumpClock(name string, d time.Duration) error {
	ep := w.eps[name]
	if ep == nil {
		return fmt.Errorf("jump clock of %q: %w", name, ErrNoEndpoint)
	}
	ep.skew += d
	w.tracef("clock %s %+v (skew %v)", name, d, ep.skew)
	return nil
}

func (w *World) tracef(format string, args ...any) {
	if w.cfg.Lean {
		w.trace.addLean(w.now, format, args)
		return
	}
	w.trace.add(w.now, fmt.Sprintf(format, args...))
}
