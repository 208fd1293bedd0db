package simredis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/sim"
)

// Options describe one server. Zero values take redis's defaults.
type Options struct {
	// ReplicaOf makes the first start a replica of that address (as
	// --replicaof does); later starts use what CONFIG REWRITE saved.
	ReplicaOf sim.Addr
	// Priority is replica-priority (default 100; NoPriority for 0).
	Priority int
	// NotAnnounced sets replica-announced no.
	NotAnnounced bool
	// ReplPeriod is how often a replica acknowledges its offset and
	// takes its master's (default 100ms).
	ReplPeriod time.Duration
	// ReplTimeout is repl-timeout: a replica that heard nothing from its
	// master for that long marks the link down, and a master forgets a
	// replica that stopped acknowledging (default 60s, as redis).
	ReplTimeout time.Duration
	// LoadTime is how long a restarted server answers -LOADING to the
	// commands redis refuses while loading (default 0: no loading).
	LoadTime time.Duration
}

// NoPriority is the Options.Priority for replica-priority 0 (never
// promoted): the zero value means the default 100.
const NoPriority = -1

// configFile is the name of the server's config on its sim.Disk.
const configFile = "redis.conf"

// Server is one simulated redis-server. It implements sim.Node.
type Server struct {
	ep   *sim.Endpoint
	opts Options

	started    time.Time
	runID      string
	replID     string
	replID2    string
	offset     int64 // master_repl_offset, or the replica's slave_repl_offset
	secondOff  int64 // second_repl_offset, -1 until a promotion
	master     sim.Addr
	followed   time.Time // when it began following master (Following)
	link       replLink
	replicas   []*replica // in the order they first acknowledged, as redis lists them
	conns      map[connKey]*conn
	pauseUntil time.Time
	busyUntil  time.Time
	loadUntil  time.Time
	fo         *failover
	// min-replicas-to-write and min-replicas-max-lag (CONFIG SET, kept by
	// CONFIG REWRITE): the sentinels' fence.
	minReplicas, minLag int
}

var _ sim.Node = (*Server)(nil)

// New returns the StartFunc of a server with opts, for sim.World.Add. Every
// start reads the endpoint's disk for the role saved by CONFIG REWRITE.
func New(opts Options) sim.StartFunc {
	if opts.Priority == 0 {
		opts.Priority = 100
	} else if opts.Priority == NoPriority {
		opts.Priority = 0
	}
	if opts.ReplPeriod == 0 {
		opts.ReplPeriod = 100 * time.Millisecond
	}
	if opts.ReplTimeout == 0 {
		opts.ReplTimeout = 60 * time.Second
	}
	return func(ep *sim.Endpoint) sim.Node { return start(ep, opts) }
}

func start(ep *sim.Endpoint, opts Options) *Server {
	now := ep.Now()
	s := &Server{
		ep:        ep,
		opts:      opts,
		started:   now,
		runID:     hexID(ep),
		replID:    hexID(ep),
		replID2:   strings.Repeat("0", 40),
		secondOff: -1,
		master:    opts.ReplicaOf,
		followed:  now,
		conns:     map[connKey]*conn{},
		minLag:    10,
	}
	if saved, ok := ep.Disk().ReadFile(configFile); ok {
		s.parseConfig(saved)
	}
	if ep.Incarnation() > 1 && opts.LoadTime > 0 {
		s.loadUntil = now.Add(opts.LoadTime)
	}
	return s
}

// hexID is a 40-character hex id like redis's run_id and replid, drawn
// from the world's seeded source.
func hexID(ep *sim.Endpoint) string {
	r := ep.Rand()
	return fmt.Sprintf("%016x%016x%08x", r.Uint64(), r.Uint64(), r.Uint32())
}

// parseConfig reads the lines of redis.conf the model writes: a saved
// file without replicaof is a master's.
func (s *Server) parseConfig(b []byte) {
	s.master = sim.Addr{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "replicaof":
			if p, err := strconv.Atoi(f[2]); err == nil {
				s.master = sim.Addr{Host: f[1], Port: p}
			}
		case len(f) == 2 && f[0] == "min-replicas-to-write":
			s.minReplicas, _ = strconv.Atoi(f[1])
		case len(f) == 2 && f[0] == "min-replicas-max-lag":
			s.minLag, _ = strconv.Atoi(f[1])
		}
	}
}

// Fenced reports whether min-replicas-to-write is on (with a lag).
func (s *Server) Fenced() bool { return s.minReplicas > 0 && s.minLag > 0 }

// GoodReplicas is redis's repl_good_slaves_count: replicas whose last
// acknowledgement is at most min-replicas-max-lag seconds old.
func (s *Server) GoodReplicas(now time.Time) int {
	n := 0
	for _, r := range s.replicas {
		if seconds(now.Sub(r.lastAck)) <= int64(s.minLag) {
			n++
		}
	}
	return n
}

// Writable reports whether a write would be accepted: a master whose
// fence, if on, counts enough good replicas (redis's NOREPLICAS check).
func (s *Server) Writable(now time.Time) bool {
	return s.IsMaster() && (!s.Fenced() || s.GoodReplicas(now) >= s.minReplicas)
}

// IsMaster reports role:master.
func (s *Server) IsMaster() bool { return s.master == (sim.Addr{}) }

// MasterAddr is the address it replicates from, zero for a master.
func (s *Server) MasterAddr() sim.Addr { return s.master }

// Offset is master_repl_offset (slave_repl_offset for a replica).
func (s *Server) Offset() int64 { return s.offset }

// Following is the master it replicates from (zero for a master) and
// since when, on its own clock: its start, or the SLAVEOF or FAILOVER
// that pointed it there. A check tells by it a replica that followed one
// master all along from one pointed elsewhere meanwhile.
func (s *Server) Following() (sim.Addr, time.Time) { return s.master, s.followed }

// LinkDownFor is how long its master link has been down (0 while up),
// false when it never came up since the server became a replica (INFO's
// master_link_down_since_seconds, -1 then).
func (s *Server) LinkDownFor(now time.Time) (time.Duration, bool) {
	switch {
	case s.IsMaster():
		return 0, false
	case s.link.up:
		return 0, true
	case s.link.downSince.IsZero():
		return 0, false
	}
	return now.Sub(s.link.downSince), true
}

// Priority is its replica-priority: 0 never promoted.
func (s *Server) Priority() int { return s.opts.Priority }

// LinkUp reports master_link_status:up (false for a master).
func (s *Server) LinkUp() bool { return !s.IsMaster() && s.link.up }

// RunID is the run_id of this incarnation.
func (s *Server) RunID() string { return s.runID }

// ErrReadOnly is Write's error on a replica; ErrPaused while writes are
// paused (CLIENT PAUSE WRITE or a FAILOVER).
var (
	ErrReadOnly = errors.New("simredis: write to a replica (READONLY)")
	ErrPaused   = errors.New("simredis: writes are paused")
)

// Write is a client write of n bytes of replication stream at the
// world's time: a master's offset advances, its replicas follow on their
// next acknowledgement.
func (s *Server) Write(n int64) error {
	switch {
	case !s.IsMaster():
		return ErrReadOnly
	case s.paused(s.ep.Now()):
		return ErrPaused
	}
	s.offset += n
	return nil
}

// RunScript makes the server busy for d, as a long Lua script does:
// commands get -BUSY until it ends or SCRIPT KILL.
func (s *Server) RunScript(d time.Duration) { s.busyUntil = s.ep.Now().Add(d) }

func (s *Server) paused(now time.Time) bool {
	return now.Before(s.pauseUntil) || s.fo != nil
}

// Receive implements sim.Node.
func (s *Server) Receive(now time.Time, from string, msg sim.Msg) {
	switch m := msg.(type) {
	case sim.Command:
		s.command(now, from, m)
	case ack:
		s.gotAck(now, from, m)
	case sync:
		s.gotSync(now, from, m)
	case propagate:
		s.gotPropagate(now, from, m)
	case promote:
		s.gotPromote(now, from)
	case promoted:
		s.gotPromoted(now, from)
	case unlink:
		s.gotUnlink(from)
	case sim.Closed:
		s.gotClosed(now, from)
	}
}

// Tick implements sim.Node: replication and FAILOVER progress.
func (s *Server) Tick(now time.Time) {
	s.tickReplica(now)
	s.forgetSilentReplicas(now)
	s.tickFailover(now)
}
