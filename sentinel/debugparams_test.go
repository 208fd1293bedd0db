package sentinel

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/redislink"
)

// Every SENTINEL DEBUG parameter must change what the sentinel does, at
// run time: min-link-reconnect-period was accepted and unused until the
// thirteenth session, and nothing would have told. Each parameter has a
// case here that sets it with DebugSet and sees its effect; a parameter
// added to debugParams without one fails the test.
func TestEveryDebugParameterTakesEffect(t *testing.T) {
	cases := map[string]func(t *testing.T){
		"INFO-PERIOD":               debugInfoPeriod,
		"PING-PERIOD":               debugPingPeriod,
		"PUBLISH-PERIOD":            debugPublishPeriod,
		"ASK-PERIOD":                debugAskPeriod,
		"DEFAULT-DOWN-AFTER":        debugDefaultDownAfter,
		"DEFAULT-FAILOVER-TIMEOUT":  debugDefaultFailoverTimeout,
		"TILT-TRIGGER":              debugTiltTrigger,
		"TILT-PERIOD":               debugTiltPeriod,
		"SLAVE-RECONF-TIMEOUT":      debugSlaveReconfTimeout,
		"MIN-LINK-RECONNECT-PERIOD": TestMinLinkReconnectPeriodReachesOpenLinks,
		"ELECTION-TIMEOUT":          debugElectionTimeout,
		"SCRIPT-MAX-RUNTIME":        debugScriptMaxRuntime,
		"SCRIPT-RETRY-DELAY":        debugScriptRetryDelay,
	}
	var tm Timing
	for _, p := range debugParams(&tm) {
		check, ok := cases[p.name]
		if !ok {
			t.Errorf("SENTINEL DEBUG %s has no case here that shows its effect", p.name)
			continue
		}
		t.Run(p.name, check)
	}
}

// liveHost is a Dialer whose instances answer every command when the
// test releases them: PONG, an INFO of a master without replicas (or
// the reply a test sets for an address and command), 1 for PUBLISH. Each
// command is recorded with the hand clock's time.
type liveHost struct {
	clock *handClock
	mu    sync.Mutex
	sent  []sentCmd
	held  []heldReply
	// replies overrides the reply to a command (upper case) at an
	// address; dead addresses (all with allDead) fail every command as a
	// refused connect does, or one that timed out.
	replies  map[string]any
	dead     map[string]bool
	allDead  bool
	timedOut bool
}

type sentCmd struct {
	addr string
	args []string
	at   time.Time
}

type heldReply struct {
	cb  func(any, error)
	v   any
	err error
}

func newLiveHost(clock *handClock) *liveHost {
	return &liveHost{clock: clock, replies: map[string]any{}, dead: map[string]bool{}}
}

func (h *liveHost) Dial(o redislink.ConnOptions) redislink.Conn { return &liveConn{h: h, addr: o.Addr} }
func (h *liveHost) Subscribe(redislink.ConnOptions, string, redislink.SubHandler) func() {
	return func() {}
}

// release delivers every held reply.
func (h *liveHost) release() {
	h.mu.Lock()
	held := h.held
	h.held = nil
	h.mu.Unlock()
	for _, r := range held {
		r.cb(r.v, r.err)
	}
}

// times is when each command named name (upper case; for SENTINEL its
// subcommand too, "SENTINEL IS-MASTER-DOWN-BY-ADDR") went to addr.
func (h *liveHost) times(addr, name string) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Time
	for _, c := range h.sent {
		if c.addr == addr && cmdName(c.args) == name {
			out = append(out, c.at)
		}
	}
	return out
}

func cmdName(args []string) string {
	name := strings.ToUpper(args[0])
	if name == "SENTINEL" && len(args) > 1 {
		name += " " + strings.ToUpper(args[1])
	}
	return name
}

type liveConn struct {
	h    *liveHost
	addr string
}

func (c *liveConn) Do(context.Context, ...any) (any, error) { return "OK", nil }
func (c *liveConn) LocalIP() string                         { return "127.0.0.1" }
func (c *liveConn) Close() error                            { return nil }
func (c *liveConn) Send(_ time.Duration, cb func(any, error), args ...any) {
	h := c.h
	h.mu.Lock()
	defer h.mu.Unlock()
	strs := make([]string, len(args))
	for k, a := range args {
		strs[k] = fmt.Sprint(a)
	}
	h.sent = append(h.sent, sentCmd{addr: c.addr, args: strs, at: h.clock.Now()})
	r := heldReply{cb: cb}
	name := cmdName(strs)
	switch v, ok := h.replies[c.addr+" "+name]; {
	case (h.allDead || h.dead[c.addr]) && h.timedOut:
		r.err = fmt.Errorf("redislink: connect %s: %w", c.addr, syscall.ETIMEDOUT)
	case h.allDead || h.dead[c.addr]:
		// As eventloop fails a refused connect: wrapping the errno.
		r.err = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	case ok:
		r.v = v
	case name == "PING":
		r.v = "PONG"
	case name == "INFO":
		r.v = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:0\r\n"
	case name == "PUBLISH":
		r.v = int64(1)
	default:
		r.v = "OK"
	}
	h.held = append(h.held, r)
}

// debugRig is a sentinel watching master "m" at 127.0.0.1:7000 (quorum,
// down-after) through a liveHost, ticked by hand every 100 ms.
type debugRig struct {
	t     *testing.T
	s     *Sentinel
	h     *liveHost
	clock *handClock
	batch redislink.WriteBatch
}

const debugMaster = "127.0.0.1:7000"

func newDebugRig(t *testing.T, quorum int, downAfter time.Duration) *debugRig {
	t.Helper()
	clock := &handClock{now: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	h := newLiveHost(clock)
	cfg := DefaultConfig()
	cfg.Port = 26379
	cfg.Masters = []MasterState{{MasterConfig: MasterConfig{
		Name: "m", Addr: Addr{Host: "127.0.0.1", Port: 7000}, Quorum: quorum, DownAfter: downAfter,
	}}}
	s := handStarted(t, cfg, Options{Dialer: h, Logger: quiet, Store: &memStore{}, Clock: clock})
	return &debugRig{t: t, s: s, h: h, clock: clock}
}

// handStarted is a sentinel whose groups are live but whose ticks the
// test runs (Sentinel.tick), on the clock of o.
func handStarted(t *testing.T, cfg Config, o Options) *Sentinel {
	t.Helper()
	s, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for _, g := range s.groupList() {
		g.start(ctx)
	}
	return s
}

// killMaster makes the master refuse from now on, and returns a
// subscription to the events that follow.
func (r *debugRig) killMaster() *event.Subscription {
	sub := r.s.Events().Subscribe(4096)
	r.h.mu.Lock()
	r.h.dead[debugMaster] = true
	r.h.mu.Unlock()
	return sub
}

func (r *debugRig) debug(args ...string) {
	r.t.Helper()
	if err := r.s.DebugSet(args); err != nil {
		r.t.Fatal(err)
	}
}

// run ticks every 100 ms for d, the instances answering after each tick.
func (r *debugRig) run(d time.Duration) {
	for end := r.clock.Now().Add(d); r.clock.Now().Before(end); {
		r.s.tick(&r.batch)
		r.h.release()
		r.clock.advance(100 * time.Millisecond)
	}
}

// gapsWithin fails unless every gap between consecutive times after the
// first skip is within [lo, hi].
func gapsWithin(t *testing.T, what string, at []time.Time, skip int, lo, hi time.Duration) {
	t.Helper()
	if len(at) < skip+3 {
		t.Fatalf("%s: only %d sent", what, len(at))
	}
	for k := skip + 1; k < len(at); k++ {
		if d := at[k].Sub(at[k-1]); d < lo || d > hi {
			t.Fatalf("%s: %v between two, want %v to %v (all: %v)", what, d, lo, hi, at)
		}
	}
}

func debugInfoPeriod(t *testing.T) {
	r := newDebugRig(t, 2, 30*time.Second)
	r.debug("info-period", "700")
	r.run(8 * time.Second)
	gapsWithin(t, "INFO at info-period 700", r.h.times(debugMaster, "INFO"), 1, 700*time.Millisecond, time.Second)
}

func debugPingPeriod(t *testing.T) {
	r := newDebugRig(t, 2, 30*time.Second) // down-after/4 above the period
	r.debug("ping-period", "3000", "publish-period", "60000")
	r.run(15 * time.Second)
	gapsWithin(t, "PING at ping-period 3000", r.h.times(debugMaster, "PING"), 1, 3*time.Second, 3300*time.Millisecond)
}

func debugPublishPeriod(t *testing.T) {
	r := newDebugRig(t, 2, 30*time.Second)
	r.debug("publish-period", "700")
	r.run(8 * time.Second)
	gapsWithin(t, "hello at publish-period 700", r.h.times(debugMaster, "PUBLISH"), 1, 700*time.Millisecond, time.Second)
}

// addPeer makes a peer known for master m through its hello; its
// answers to is-master-down-by-addr are reply.
func (r *debugRig) addPeer(reply []any) string {
	const peer = "127.0.0.1:26380"
	r.h.mu.Lock()
	r.h.replies[peer+" SENTINEL IS-MASTER-DOWN-BY-ADDR"] = reply
	r.h.mu.Unlock()
	r.s.ProcessHello(fmt.Appendf(nil, "127.0.0.1,26380,%s,0,m,127.0.0.1,7000,0", strings.Repeat("b", 40)))
	return peer
}

// While the master is subjectively down and not yet objectively, the
// peers are asked every ask-period/10 (failover.Machine.askInterval).
func debugAskPeriod(t *testing.T) {
	r := newDebugRig(t, 2, time.Second)
	peer := r.addPeer([]any{int64(0), "*", int64(0)})
	r.debug("ask-period", "3000")
	r.run(time.Second)
	r.killMaster().Close()
	r.run(8 * time.Second)
	gapsWithin(t, "is-master-down-by-addr at ask-period 3000", r.h.times(peer, "SENTINEL IS-MASTER-DOWN-BY-ADDR"), 1, 300*time.Millisecond, 500*time.Millisecond)
}

func debugDefaultDownAfter(t *testing.T) {
	monitoredWithDefault(t, "default-down-after", "4321", "down-after-milliseconds")
}

func debugDefaultFailoverTimeout(t *testing.T) {
	monitoredWithDefault(t, "default-failover-timeout", "54321", "failover-timeout")
}

// monitoredWithDefault sets a default and checks that a master monitored
// after has it as field.
func monitoredWithDefault(t *testing.T, param, value, field string) {
	r := newDebugRig(t, 2, 30*time.Second)
	r.debug(param, value)
	if err := r.s.Monitor("new", "127.0.0.1", 7001, 2); err != nil {
		t.Fatal(err)
	}
	v, err := r.s.Master("new")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Get(field); got != value {
		t.Fatalf("a master monitored after %s %s has %s %s", param, value, field, got)
	}
}

// jumpTimer makes the next TILT check see the wall clock jump by d since
// the last (updateTilt reads the wall clock, not the sentinel's Clock).
func (r *debugRig) jumpTimer(d time.Duration) bool {
	r.s.tiltMu.Lock()
	r.s.tiltPrev = time.Now().Round(0).Add(-d)
	r.s.tiltMu.Unlock()
	return r.s.updateTilt()
}

func debugTiltTrigger(t *testing.T) {
	r := newDebugRig(t, 2, 30*time.Second)
	r.debug("tilt-trigger", "5000")
	if r.jumpTimer(3 * time.Second) {
		t.Fatal("TILT after a 3 s jump with tilt-trigger 5000 (the default is 2 s)")
	}
	if !r.jumpTimer(6 * time.Second) {
		t.Fatal("no TILT after a 6 s jump with tilt-trigger 5000")
	}
}

func debugTiltPeriod(t *testing.T) {
	r := newDebugRig(t, 2, 30*time.Second)
	r.debug("tilt-period", "1000")
	if !r.jumpTimer(5 * time.Second) {
		t.Fatal("rig: no TILT after a 5 s jump")
	}
	r.clock.advance(1500 * time.Millisecond)
	if r.jumpTimer(0) {
		t.Fatal("still in TILT 1.5 s in with tilt-period 1000 (the default is 30 s)")
	}
}

// eventsOf collects the events of kind k so far ("": every kind).
func eventsOf(sub *event.Subscription, k string) []*event.Event {
	var out []*event.Event
	for {
		select {
		case e := <-sub.C:
			if k == "" || string(e.Kind) == k {
				out = append(out, e)
			}
		default:
			return out
		}
	}
}

// With quorum 1 the master is objectively down on our word alone; the
// one peer never votes, so the election is lost, and given up after
// election-timeout.
func debugElectionTimeout(t *testing.T) {
	r := newDebugRig(t, 1, time.Second)
	r.addPeer([]any{int64(1), "*", int64(0)})
	r.debug("election-timeout", "1500")
	r.run(time.Second)
	sub := r.killMaster()
	defer sub.Close()
	var tried, aborted time.Time
	var seen []string
	for end := r.clock.Now().Add(8 * time.Second); r.clock.Now().Before(end) && aborted.IsZero(); {
		r.run(100 * time.Millisecond)
		for _, e := range eventsOf(sub, "") {
			seen = append(seen, r.clock.Now().Format("05.0")+" "+string(e.Kind))
			switch {
			case e.Kind == "+try-failover" && tried.IsZero():
				tried = r.clock.Now()
			case e.Kind == "-failover-abort-not-elected" && !tried.IsZero():
				aborted = r.clock.Now()
			}
		}
	}
	if tried.IsZero() || aborted.IsZero() {
		t.Fatalf("tried at %v, aborted at %v: want a lost election given up (events %v)", tried, aborted, seen)
	}
	// The attempt's start is set up to a second late, as redis-sentinel
	// desynchronises its peers (SENTINEL_MAX_DESYNC).
	if d := aborted.Sub(tried); d < 1500*time.Millisecond || d > 2700*time.Millisecond {
		t.Fatalf("the election was given up %v after it began, want 1.5 s and up to 1 s (election-timeout 1500)", d)
	}
}

// A replica sent SLAVEOF during a failover that never reports the new
// master is given up after slave-reconf-timeout. The master has two
// replicas: one is promoted, the other ignores the SLAVEOF.
func debugSlaveReconfTimeout(t *testing.T) {
	const promoted, stubborn = "127.0.0.1:7001", "127.0.0.1:7002"
	r := newDebugRig(t, 1, time.Second)
	r.h.mu.Lock()
	r.h.replies[debugMaster+" INFO"] = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\n" +
		"slave0:ip=127.0.0.1,port=7001,state=online,offset=100,lag=0\r\n" +
		"slave1:ip=127.0.0.1,port=7002,state=online,offset=90,lag=0\r\nmaster_repl_offset:100\r\n"
	for _, a := range []string{promoted, stubborn} {
		r.h.replies[a+" INFO"] = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:7000\r\n" +
			"master_link_status:up\r\nslave_repl_offset:100\r\nslave_priority:100\r\n"
	}
	r.h.mu.Unlock()
	r.debug("slave-reconf-timeout", "1500", "info-period", "200")
	// With parallel-syncs 1 the one replica in reconfiguration fills the
	// quota and its timeout is never looked at, as in redis-sentinel's
	// sentinelFailoverReconfNextSlave: the failover timeout ends it.
	if err := r.s.Set("m", []string{"parallel-syncs", "2"}); err != nil {
		t.Fatal(err)
	}
	r.run(2 * time.Second) // replicas found and their INFO read
	sub := r.killMaster()
	defer sub.Close()
	var sent, gaveUp time.Time
	for end := r.clock.Now().Add(15 * time.Second); r.clock.Now().Before(end) && gaveUp.IsZero(); {
		r.run(100 * time.Millisecond)
		for _, e := range eventsOf(sub, "") {
			switch {
			case e.Kind == "+failover-state-wait-promotion":
				// SLAVEOF NO ONE went out (through Do): it reports
				// itself master from now on.
				r.h.mu.Lock()
				r.h.replies[promoted+" INFO"] = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_repl_offset:100\r\n"
				r.h.mu.Unlock()
			case e.Kind == "+slave-reconf-sent" && strings.Contains(e.Instance.Name, "7002") && sent.IsZero():
				sent = r.clock.Now()
			case e.Kind == "-slave-reconf-sent-timeout" && !sent.IsZero():
				gaveUp = r.clock.Now()
			}
		}
	}
	if sent.IsZero() || gaveUp.IsZero() {
		t.Fatalf("reconf sent at %v, given up at %v: want the stubborn replica given up", sent, gaveUp)
	}
	if d := gaveUp.Sub(sent); d < 1500*time.Millisecond || d > 2200*time.Millisecond {
		t.Fatalf("the stubborn replica was given up %v after its SLAVEOF, want 1.5 s (slave-reconf-timeout 1500)", d)
	}
}

// scriptRig is a sentinel whose script queue runs, set with debug; the
// returned func stops the queue.
func scriptRig(t *testing.T, debug ...string) (*Sentinel, context.CancelFunc) {
	t.Helper()
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}), Options{Dialer: redislink.NewFakeNet(), Logger: quiet, Store: &memStore{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DebugSet(debug); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.scripts.Run(ctx) }()
	return s, func() { cancel(); <-done }
}

func debugScriptMaxRuntime(t *testing.T) {
	s, stop := scriptRig(t, "script-max-runtime", "300")
	defer stop()
	sub := s.Events().Subscribe(64)
	defer sub.Close()
	start := time.Now()
	s.scripts.Schedule("/bin/sleep", "10")
	for time.Since(start) < 5*time.Second {
		if len(eventsOf(sub, "-script-timeout")) > 0 {
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("killed %v after its start with script-max-runtime 300", d)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("a script sleeping 10 s not killed within 5 s with script-max-runtime 300 (the default is 60 s)")
}

func debugScriptRetryDelay(t *testing.T) {
	s, stop := scriptRig(t, "script-retry-delay", "100")
	defer stop()
	runs := filepath.Join(t.TempDir(), "runs")
	s.scripts.Schedule("/bin/sh", "-c", "echo run >> "+runs+"; exit 1") // exit 1: run again
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(runs); strings.Count(string(b), "run") >= 2 {
			return
		}
	}
	t.Fatal("a script exiting 1 not run again within 5 s with script-retry-delay 100 (the default is 30 s)")
}
