package sim

import (
	"maps"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"time"
)

// Node is what lives at an endpoint: a simulated Redis server, or a
// sentinel's state machine behind a small adapter. The world calls it on
// its own goroutine, one call at a time; now is the node's own clock (the
// world's time plus any jump JumpClock gave it). A Node sends through the
// Endpoint it was started with and must not keep state anywhere else that
// should survive a crash: what must, goes to Endpoint.Disk.
type Node interface {
	// Receive handles one message delivered from the endpoint named from.
	Receive(now time.Time, from string, msg Msg)
	// Tick is called every period given to World.Add.
	Tick(now time.Time)
}

// StartFunc builds the node of an endpoint: at World.Add and again at
// every Restart (the old value is dropped: volatile state is lost).
type StartFunc func(ep *Endpoint) Node

// Addr is a host and port as Redis and sentinels name instances.
type Addr struct {
	Host string
	Port int
}

func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(a.Port)) }

// Disk is an endpoint's persistent storage: files by name, kept across
// crashes. Stored slices are copied in and out.
type Disk struct {
	files map[string][]byte
}

// WriteFile replaces the file name with data (atomically, as atomicfile
// does in production: a crash never leaves half a file).
func (d *Disk) WriteFile(name string, data []byte) {
	d.files[name] = append([]byte(nil), data...)
}

// ReadFile returns a copy of the file, false when it was never written.
func (d *Disk) ReadFile(name string) ([]byte, bool) {
	b, ok := d.files[name]
	return append([]byte(nil), b...), ok
}

// Files lists every file's name, sorted, for tests that look at what
// was persisted.
func (d *Disk) Files() []string { return slices.Sorted(maps.Keys(d.files)) }

// Endpoint is a node's handle on the world: its name and address, its
// disk, its clock, the world's random source, and Send.
type Endpoint struct {
	w           *World
	name        string
	addr        Addr
	period      time.Duration
	start       StartFunc
	node        Node // nil while crashed
	incarnation uint64
	disk        Disk
	frozenUntil time.Time
	lagSince    time.Time // LagReads: messages wait from here ...
	lagUntil    time.Time // ... until here (world time)
	skew        time.Duration
	downSince   time.Time // when it last crashed (DownSince)
	refuse      bool      // RefuseWhileDown
	clockHigh   time.Time // the highest its clock showed before its last jump

	// TrailReads and Flood (load.go): how far behind, and until when;
	// backlogUntil is when the last message queued behind a trail is
	// read. slow records every span of late reads (ReadDelay).
	trailBehind, floodBehind time.Duration
	trailUntil, floodUntil   time.Time
	backlogUntil             time.Time
	slow                     []slowRead
	// SlowTicks (load.go): until tickSlowUntil, ticks come tickEvery
	// apart at the least.
	tickEvery     time.Duration
	tickSlowUntil time.Time
}

// Name is the endpoint's name in the network ("redis-6380", "sentinel-2").
func (e *Endpoint) Name() string { return e.name }

// Addr is the address others use for it (World.Lookup maps it back).
func (e *Endpoint) Addr() Addr { return e.addr }

// Incarnation counts starts: 1 for the first, +1 per Restart.
func (e *Endpoint) Incarnation() uint64 { return e.incarnation }

// Disk is the storage that survives crashes.
func (e *Endpoint) Disk() *Disk { return &e.disk }

// Now is the endpoint's own clock.
func (e *Endpoint) Now() time.Time { return e.w.now.Add(e.skew) }

// CaughtUp is the moment, on the endpoint's clock, up to which every
// message sent to it has been handed to its node: now, or while its reads
// lag (LagReads) the moment the lag began, or behind a trail or a flood
// (TrailReads, Flood) as far behind as they are. A node judges silence
// up to here, as production's event loop reports
// (eventloop.Loop.CaughtUp).
func (e *Endpoint) CaughtUp() time.Time { return e.caughtUp().Add(e.skew) }

// Rand is the world's seeded random source. Nodes draw from it only
// inside Receive and Tick, so draws happen in the same order every run.
func (e *Endpoint) Rand() *rand.Rand { return e.w.rng }

// Send puts msg on the network towards the endpoint named to.
func (e *Endpoint) Send(to string, msg Msg) { e.w.send(e.name, to, msg) }

// Lookup returns the name of the endpoint at addr.
func (e *Endpoint) Lookup(addr Addr) (string, bool) { return e.w.Lookup(addr) }

// Tracef writes a note of the node's into the trace ("note" lines), for
// what matters when reading a failure: a role change, a vote.
func (e *Endpoint) Tracef(format string, args ...any) {
	if e.w.cfg.Lean {
		e.w.trace.addLean(e.w.now, format, args)
		return
	}
	e.w.tracef("note  %s "+format, append([]any{e.name}, args...)...)
}
