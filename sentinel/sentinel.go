package sentinel

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"github.com/qsentinel/qsentinel/failover"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/eventloop"
	"github.com/qsentinel/qsentinel/quorum"
	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/scripts"
)

// Clock tells time; tests replace it to drive timeouts without sleeping.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options are the parts of a Sentinel that are not persisted config.
type Options struct {
	Store       Store            // where the config is saved after every change (nil: nowhere)
	Dialer      redislink.Dialer // how instances are reached (nil: redislink.RedisDialer)
	Logger      *slog.Logger     // nil: slog.Default()
	Clock       Clock            // nil: wall clock
	TLS         *tls.Config      // for links to Redis and peers, when they use TLS
	RequirePass string           // our own password; peers are assumed to share it
	Crash       func()           // SIMULATE-FAILURE crash; nil: exit(99)
	Resolver    Resolver         // host name lookups (nil: net.DefaultResolver.LookupHost)
	Gossip      *GossipOptions
	// LogLevel is the level Logger logs at, for SENTINEL CONFIG GET/SET
	// loglevel (nil: the parameter is unknown, as in redis 7.0).
	LogLevel *slog.LevelVar
	// RedialsPerSecond bounds the redials to instances whose last
	// connect was refused (failover.RedialBudget; 0: its default).
	RedialsPerSecond int
}

// Sentinel is the monitored world: every master group, our identity and
// epoch, and the event bus.
type Sentinel struct {
	opts   Options
	logger *slog.Logger
	dialer redislink.Dialer
	loop   *eventloop.Loop // serves dialer's links; nil with another Dialer
	clock  Clock
	// caughtUp is the event loop's CaughtUp when it reads the links and
	// the clock is the system's (nil otherwise): the groups judge
	// silence up to there.
	caughtUp func() time.Time
	bus      *event.Bus
	myID     string

	mu     sync.RWMutex // guards groups, sorted and byAddr; may be taken under a group lock, never the other way round
	groups map[string]*group
	// sorted is groups sorted by name, nil until groupList needs it again
	// after a change: it is read for every peer's vote request and every
	// hello, which at thousands of masters made sorting per call the
	// largest cost of a mass failover.
	sorted []*group
	// byAddr remembers which group answered a peer's question about an
	// address (groupByAddr); cleared with sorted.
	byAddr map[string]*group
	ctx    context.Context

	cfgMu sync.RWMutex // guards cfg's global fields; a leaf lock
	cfg   Config

	peersMu sync.Mutex
	peers   map[string]*peerConn

	resolver Resolver
	hostsMu  sync.Mutex        // a leaf lock
	hosts    map[string]string // host name -> last IP it resolved to (hostnames.go)

	tiltMu    sync.Mutex
	tilt      bool
	tiltSince time.Time
	tiltPrev  time.Time // last TILT check (wall clock)
	tiltTotal int       // times TILT was entered (INFO sentinel_total_tilt)
	simFlags  atomic.Int32

	// env is what every master's machine shares: our id and the
	// current epoch (with the lock that orders votes and attempts).
	env *failover.Env

	scripts    *scripts.Queue
	checks     *scripts.Checks // pre-failover-script runs
	gossipKick chan struct{}
	gossipMu   sync.Mutex
	gossip     *quorum.Gossip

	saveMu  sync.Mutex
	commit  groupCommit
	dirty   chan struct{}
	started time.Time

	// pingArgs and infoArgs are PING's and INFO's arguments where no
	// rename-command applies, shared by every group (commandArgs).
	pingArgs, infoArgs []any
	// cmdName and pubsubName are the names our links give themselves
	// (CLIENT SETNAME), made once rather than a string per link.
	cmdName, pubsubName string

	// linkMinAge is Timing.MinLinkReconnectPeriod for the links, which
	// read it whenever they set a deadline (ConnOptions.MinAge), not
	// under cfgMu; minAge is the one func value they all share.
	linkMinAge atomic.Int64
	minAge     func() time.Duration

	// redialMu guards redials, which also says which group the tick
	// starts at (failover.RedialBudget.Start). The tick takes it for each
	// group; tests call sendPeriodic outside the tick.
	redialMu sync.Mutex
	redials  failover.RedialBudget
}

// clientName is "sentinel-<first 8 of our id>-<suffix>", as redis-sentinel
// names its links (suffix "cmd" or "pubsub").
func (s *Sentinel) clientName(suffix string) string {
	switch suffix {
	case "cmd":
		return s.cmdName
	case "pubsub":
		return s.pubsubName
	}
	return "sentinel-" + s.myID[:8] + "-" + suffix
}

type peerConn struct {
	key       string // its key in peers, which every group's instance of the peer shares
	conn      redislink.Conn
	refs      int
	lastAvail time.Time // last valid PING reply on this connection, any group
	lastPing  time.Time // last PING sent on it, by any group
}

// peerAvail is the last valid ping reply any group got on a shared peer
// connection. A peer watching fifty masters is one process on one
// connection: one group's PONG answers for all of them, so each group need
// not ping it separately (redis-sentinel does, fifty times a second).
func (s *Sentinel) peerAvail(key string) time.Time {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	if p := s.peers[key]; p != nil {
		return p.lastAvail
	}
	return time.Time{}
}

// claimPeerPing reports whether the caller should PING the shared peer
// link now: only when no group has pinged it within window. Every group
// ticks at the same instant, so without this each master group would send
// its own PING to the same peer before the first reply is in.
func (s *Sentinel) claimPeerPing(key string, now time.Time, window time.Duration) bool {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	p := s.peers[key]
	if p == nil {
		return true
	}
	if !p.lastPing.IsZero() && now.Sub(p.lastPing) < window {
		return false
	}
	p.lastPing = now
	return true
}

func (s *Sentinel) setPeerAvail(key string, t time.Time) {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	if p := s.peers[key]; p != nil && t.After(p.lastAvail) {
		p.lastAvail = t
	}
}

// New builds a Sentinel from a loaded config. A missing myid is generated
// here and saved on the first flush, like redis-sentinel does.
func New(cfg Config, opts Options) (*Sentinel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sentinel config: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var loop *eventloop.Loop
	if opts.Dialer == nil {
		// One goroutine reads every link (see eventloop); where there is
		// no epoll, a goroutine per connection does.
		var err error
		if loop, err = eventloop.New(); err != nil {
			opts.Logger.Debug("no event loop; a reader goroutine per link", "err", err)
		}
		opts.Dialer = redislink.RedisDialer{Loop: loop, Buffers: &redislink.Buffers{}}
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver.LookupHost
	}
	s := &Sentinel{
		resolver: opts.Resolver,
		hosts:    map[string]string{},
		opts:     opts,
		logger:   opts.Logger,
		dialer:   opts.Dialer,
		loop:     loop,
		clock:    opts.Clock,
		bus:      event.NewBus(opts.Logger),
		groups:   map[string]*group{},
		peers:    map[string]*peerConn{},
		dirty:    make(chan struct{}, 1),
		pingArgs: []any{"PING"},
		infoArgs: []any{"INFO"},
		redials:  failover.RedialBudget{PerSecond: opts.RedialsPerSecond},

		gossipKick: make(chan struct{}, 1),
	}
	if _, real := opts.Clock.(systemClock); real && loop != nil {
		s.caughtUp = loop.CaughtUp
	}
	if cfg.MyID == "" {
		var b [20]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("generate myid: %w", err)
		}
		cfg.MyID = hex.EncodeToString(b[:])
		s.markDirty()
	}
	s.scripts = scripts.New(func() scripts.Limits {
		l := scripts.DefaultLimits()
		t := s.timing()
		l.MaxRuntime, l.RetryDelay = t.ScriptMaxRuntime, t.ScriptRetryDelay
		return l
	}, s.logger, scripts.WithScriptEvents(func(e event.Event) {
		// Global events, as redis-sentinel's (no instance): published
		// and logged, never a reason to run the notification script.
		s.publish(e)
	}))
	checks, err := scripts.NewChecks(16, func() time.Duration { return s.timing().ScriptMaxRuntime }, s.logger)
	if err != nil {
		return nil, err
	}
	s.checks = checks
	s.myID = cfg.MyID
	s.cmdName = "sentinel-" + s.myID[:8] + "-cmd"
	s.pubsubName = "sentinel-" + s.myID[:8] + "-pubsub"
	s.linkMinAge.Store(int64(cfg.Timing.MinLinkReconnectPeriod))
	s.minAge = func() time.Duration { return time.Duration(s.linkMinAge.Load()) }
	s.env = &failover.Env{
		MyID:     s.myID,
		Epochs:   failover.NewEpochs(cfg.CurrentEpoch),
		SameHost: s.sameHost,
		Jitter:   func(max time.Duration) time.Duration { return mathrand.N(max) },
	}
	now := s.clock.Now()
	for _, m := range cfg.Masters {
		if cfg.ResolveHostnames {
			// Like redis-sentinel at config load: what we report and
			// save from the start is the name's IP (hostnames.go).
			s.refreshIP(context.Background(), m.Addr.Host)
		}
		m.MasterConfig = m.MasterConfig.WithDefaults(cfg.Timing)
		s.groups[m.Name] = newGroup(s, m, now)
	}
	cfg.Masters = nil
	s.cfg = cfg
	return s, nil
}

// MyID is our run id, the one peers know us by.
func (s *Sentinel) MyID() string { return s.myID }

// CurrentEpoch is the highest epoch we have seen or started.
func (s *Sentinel) CurrentEpoch() uint64 { return s.env.Epochs.Current() }

// Events is the bus every event goes through.
func (s *Sentinel) Events() *event.Bus { return s.bus }

// Uptime is how long Run has been going.
func (s *Sentinel) Uptime() time.Duration {
	if s.started.IsZero() {
		return 0
	}
	return s.clock.Now().Sub(s.started)
}

func (s *Sentinel) publish(e event.Event) { s.bus.Publish(e) }

// simulatedCrash is SENTINEL SIMULATE-FAILURE's crash: the process exits
// at once with status 99, as redis-sentinel does, so tests can kill a
// leader at an exact step. Nothing is saved first: what the step changed
// and the flush loop had not written yet is lost, as in a real crash
// (votes are already on disk: their answer waits for the save).
func (s *Sentinel) simulatedCrash() {
	s.logger.Warn("Simulated failure: exiting")
	if s.opts.Crash != nil {
		s.opts.Crash()
		return
	}
	os.Exit(99)
}

func (s *Sentinel) timing() Timing {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	return s.cfg.Timing
}

// announce returns the address we put in hello messages ("" ip: use the
// link's local address).
func (s *Sentinel) announce() (string, int) {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	port := s.cfg.AnnouncePort
	if port == 0 {
		port = s.cfg.Port
	}
	return s.cfg.AnnounceIP, port
}

func (s *Sentinel) peerAuth() (string, string) {
	s.cfgMu.RLock()
	defer s.cfgMu.RUnlock()
	if s.cfg.SentinelPass != "" || s.cfg.SentinelUser != "" {
		return s.cfg.SentinelUser, s.cfg.SentinelPass
	}
	return "", s.opts.RequirePass
}

// acquirePeer shares one command connection per peer across all groups, as
// redis-sentinel does, so N masters do not mean N connections per peer.
// It returns the connection and the key as the pool holds it, for the
// caller to keep instead of its own copy (a string per peer and master:
// 0.6 MB at 5,000 masters with two peers).
func (s *Sentinel) acquirePeer(key string, o redislink.ConnOptions) (redislink.Conn, string) {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	p := s.peers[key]
	if p == nil {
		p = &peerConn{key: key, conn: s.dialer.Dial(o)}
		s.peers[key] = p
	}
	p.refs++
	return p.conn, p.key
}

func (s *Sentinel) releasePeer(key string) {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	p := s.peers[key]
	if p == nil {
		return
	}
	p.refs--
	if p.refs <= 0 {
		p.conn.Close()
		delete(s.peers, key)
	}
}

func (s *Sentinel) peerRefs(key string) int {
	s.peersMu.Lock()
	defer s.peersMu.Unlock()
	if p := s.peers[key]; p != nil {
		return p.refs
	}
	return 1
}

// dropPeerConns closes every peer connection so they reconnect with new
// credentials (CONFIG SET sentinel-user/sentinel-pass).
func (s *Sentinel) dropPeerConns() {
	for _, g := range s.groupList() {
		g.mu.Lock()
		for _, si := range g.peers() {
			g.closeLink(si)
		}
		g.mu.Unlock()
	}
}

func (s *Sentinel) group(name string) *group {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.groups[name]
}

// groupList returns the groups sorted by name. The slice is shared by
// every caller until the next change of groups: read it, never write it.
func (s *Sentinel) groupList() []*group {
	s.mu.RLock()
	out := s.sorted
	s.mu.RUnlock()
	if out != nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sorted == nil {
		out = make([]*group, 0, len(s.groups))
		for _, g := range s.groups {
			out = append(out, g)
		}
		sort.Slice(out, func(a, b int) bool { return out[a].name < out[b].name })
		s.sorted = out
	}
	return s.sorted
}

// Run monitors until ctx is done, then closes every link and saves.
func (s *Sentinel) Run(ctx context.Context) error {
	// A failed event loop ends the run: without it nothing is read and
	// nothing ticks, and a sentinel that only looks alive is worse than
	// one that exits and is restarted.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var loopErr error
	s.mu.Lock()
	s.ctx = ctx
	s.started = s.clock.Now()
	s.mu.Unlock()
	s.logger.Warn("Sentinel ID is " + s.myID) // "#", as redis logs it
	for _, g := range s.groupList() {
		g.mu.Lock()
		g.emitf(LevelWarning, "+monitor", g.master, "quorum %d", g.cfg.Quorum)
		g.mu.Unlock()
		g.start(ctx)
	}
	var wg sync.WaitGroup
	if s.loop != nil {
		var batch redislink.WriteBatch
		s.loop.Every(tickWait, func() { s.tick(&batch) })
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.loop.Run(ctx); err != nil {
				s.logger.Error("link event loop stopped", "err", err)
				loopErr = err
				cancel()
			}
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.flushLoop(ctx) }()
	if s.loop == nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.tickLoop(ctx) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.scripts.Run(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); s.checks.Run(ctx) }()
	if s.opts.Gossip != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.runGossip(ctx) }()
	}
	<-ctx.Done()
	wg.Wait()
	for _, g := range s.groupList() {
		g.stop()
	}
	if err := s.FlushConfig(); err != nil {
		return fmt.Errorf("final config save: %w", err)
	}
	if loopErr != nil {
		return fmt.Errorf("link event loop: %w", loopErr)
	}
	return nil
}

// The tick is redis-sentinel's timer: every 100-150 ms (random, so peers
// started together do not stay in lock step) each master group gets a tick.
// One timer for all masters rather than one each: a tick only looks at
// state and starts asynchronous commands, so groups cannot delay each
// other, and fifty masters cost one wakeup instead of fifty. With the event
// loop it runs on the loop's goroutine, as redis's timer runs in its event
// loop: the replies to what a tick sends are then read in the same wake-up
// more often than not, instead of waking a second goroutine.
func tickWait() time.Duration {
	return 100*time.Millisecond + mathrand.N(50*time.Millisecond)
}

// tick runs every group's tick and writes what they sent. The tick must
// never wait for a reply: on the event loop, no reply arrives meanwhile.
func (s *Sentinel) tick(batch *redislink.WriteBatch) {
	// Also when there is no group: the same timer, as in redis.
	s.updateTilt()
	groups := s.groupList()
	s.redialMu.Lock()
	s.redials.Refill(s.clock.Now())
	from := s.redials.Start(len(groups))
	s.redialMu.Unlock()
	for k := range groups {
		at := (from + k) % len(groups)
		groups[at].tick(batch)
		s.redialMu.Lock()
		s.redials.Ticked(at)
		s.redialMu.Unlock()
	}
	batch.Flush()
}

// allowRedial is failover.RedialBudget.Allow for the sentinel's budget.
func (s *Sentinel) allowRedial(n *failover.Node, refused bool) bool {
	if !failover.Budgeted(n, refused) {
		return true
	}
	s.redialMu.Lock()
	defer s.redialMu.Unlock()
	return s.redials.Allow(n, refused)
}

// tickLoop runs the tick where there is no event loop.
func (s *Sentinel) tickLoop(ctx context.Context) {
	timer := time.NewTimer(tickWait())
	defer timer.Stop()
	var batch redislink.WriteBatch
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		s.tick(&batch)
		timer.Reset(tickWait())
	}
}

// markDirty asks the flusher to save soon; it never blocks, so it is safe
// under any lock.
func (s *Sentinel) markDirty() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// After a save the flusher took d for, the next waits savePace × d (at
// most savePaceMax): saving the whole config then takes at most a fifth
// of the flusher's time, and changes that come meanwhile share the next
// save. At 1,000 masters a save is a rewrite of 7,000 lines; when they
// all fail over at once every switch marked the config dirty and the
// saves ran back to back, 13 % of a sentinel's CPU while the failovers
// still needed it (BENCHMARKS.md). A small config saves in a millisecond
// and waits a few. Votes and SENTINEL FLUSHCONFIG save at once
// (flushSync), as before.
const (
	savePace    = 4
	savePaceMax = time.Second
)

func (s *Sentinel) flushLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
			start := time.Now()
			if err := s.flushSync(); err != nil {
				s.logger.Warn("WARNING: Sentinel was not able to save the new configuration on disk!!!", "err", err)
			}
			pause := time.NewTimer(min(savePace*time.Since(start), savePaceMax))
			select {
			case <-ctx.Done():
				pause.Stop()
				return
			case <-pause.C:
			}
		}
	}
}

// groupCommit batches synchronous saves: everyone who asks while a save
// runs is served by the next one, so fifty votes answered at once cost two
// fsyncs, not fifty in a row.
type groupCommit struct {
	mu        sync.Mutex
	cond      *sync.Cond
	requested uint64
	done      uint64
	running   bool
	err       error
}

// flushSync returns once a save that started after the call has finished:
// every change made before the call is on disk.
func (s *Sentinel) flushSync() error {
	c := &s.commit
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cond == nil {
		c.cond = sync.NewCond(&c.mu)
	}
	c.requested++
	mine := c.requested
	for c.done < mine {
		if c.running {
			c.cond.Wait()
			continue
		}
		c.running = true
		target := c.requested
		c.mu.Unlock()
		err := s.FlushConfig()
		c.mu.Lock()
		c.running = false
		c.done, c.err = target, err
		c.cond.Broadcast()
	}
	return c.err
}

// FlushConfig saves the whole config now (SENTINEL FLUSHCONFIG).
func (s *Sentinel) FlushConfig() error {
	if s.opts.Store == nil {
		return nil
	}
	cfg := s.Snapshot()
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	if err := s.opts.Store.Save(&cfg); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// Snapshot returns the config as it would be saved now.
func (s *Sentinel) Snapshot() Config {
	s.cfgMu.RLock()
	cfg := s.cfg
	s.cfgMu.RUnlock()
	cfg.MyID = s.myID
	cfg.CurrentEpoch = s.CurrentEpoch()
	groups := s.groupList()
	// Sized once: every config save takes a snapshot, and growing a
	// slice of 1,000 MasterStates by appends copied it ten times.
	cfg.Masters = make([]MasterState, 0, len(groups))
	for _, g := range groups {
		g.mu.Lock()
		p := g.m.Persisted()
		mc := g.cfg
		mc.RenameCommands = append([]RenamedCommand(nil), g.cfg.RenameCommands...)
		g.mu.Unlock()
		// Addresses are saved as redis-sentinel rewrites them
		// (announceSentinelAddr): names only with announce-hostnames.
		st := MasterState{
			MasterConfig: mc,
			ConfigEpoch:  p.ConfigEpoch,
			LeaderEpoch:  p.LeaderEpoch,
		}
		st.Addr = s.shown(p.Addr)
		for _, r := range p.KnownReplicas {
			st.KnownReplicas = append(st.KnownReplicas, s.shown(r))
		}
		for _, si := range p.KnownSentinels {
			st.KnownSentinels = append(st.KnownSentinels, KnownSentinel{Addr: s.shown(si.Addr), RunID: si.RunID})
		}
		cfg.Masters = append(cfg.Masters, st)
	}
	return cfg
}

// updateTilt is sentinelCheckTiltCondition, and reports whether we are in
// TILT afterwards. A check that comes far too late after the previous one
// (or time that goes backwards) means we were frozen or the clock jumped;
// everything we measured is suspect, so TILT is entered (+tilt published)
// and we watch but do not act until tilt-period has passed (-tilt
// published). Every group tick runs it before it judges anyone down:
// redis checks TILT first in its one timer, and a group tick that woke
// before our own ticker after a SIGSTOP used to mark every instance down
// with stale reply times, flags that then stuck for the whole TILT period
// because nothing is re-judged in TILT. Every other caller that asks
// "are we in TILT?" runs the check too, so the answer is never stale.
func (s *Sentinel) updateTilt() bool {
	t := s.timing()
	var ev event.Event
	s.tiltMu.Lock()
	// Read under the lock: with several callers, a time read before
	// another caller's later one would look like time going backwards.
	now := time.Now().Round(0) // wall clock on purpose: jumps are what we look for
	delta := now.Sub(s.tiltPrev)
	if s.tiltPrev.IsZero() {
		delta = 0
	}
	s.tiltPrev = now
	switch {
	case delta < 0 || delta > t.TiltTrigger:
		s.tilt = true
		s.tiltSince = s.clock.Now()
		s.tiltTotal++
		ev = event.Event{Level: LevelWarning, Kind: event.Tilt, Text: "#tilt mode entered"}
	case s.tilt && s.clock.Now().Sub(s.tiltSince) >= t.TiltPeriod:
		s.tilt = false
		ev = event.Event{Level: LevelWarning, Kind: event.TiltCleared, Text: "#tilt mode exited"}
	}
	tilt := s.tilt
	s.tiltMu.Unlock()
	if ev.Kind != "" {
		s.publish(ev)
	}
	return tilt
}
