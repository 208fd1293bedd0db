package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// caller is a node that makes its calls through a sim.Client.
type caller struct {
	ep     *sim.Endpoint
	cl     *sim.Client
	others []sim.Msg
}

func (c *caller) Receive(_ time.Time, from string, msg sim.Msg) {
	if !c.cl.Handle(from, msg) {
		c.others = append(c.others, msg)
	}
}

func (c *caller) Tick(now time.Time) { c.cl.Expire(now) }

type result struct {
	v   any
	err error
}

// results collects what the calls ended with, in order.
type results struct{ list []result }

func (r *results) record(v any, err error) { r.list = append(r.list, result{v, err}) }

// callerWorld is a Redis server and a caller node "s1" next to it.
func callerWorld(seed uint64) (*sim.World, *caller, *results) {
	w := sim.New(sim.Config{Seed: seed})
	w.Add("redis-6380", sim.Addr{Host: "10.0.0.1", Port: 6380}, 100*time.Millisecond, simredis.New(simredis.Options{}))
	var c *caller
	w.Add("s1", sim.Addr{Host: "10.0.0.2", Port: 26379}, 100*time.Millisecond, func(ep *sim.Endpoint) sim.Node {
		c = &caller{ep: ep, cl: sim.NewClient(ep)}
		return c
	})
	return w, c, &results{}
}

func TestClientMatchesRepliesAndEndsTimedOutAndClosedCalls(t *testing.T) {
	w, c, got := callerWorld(1)
	record := got.record

	c.cl.Do(w.Now(), "redis-6380", "cmd", time.Second, []string{"PING"}, record)
	c.cl.Do(w.Now(), "redis-6380", "pubsub", time.Second, []string{"SUBSCRIBE", "a", "b"}, record)
	w.RunFor(100 * time.Millisecond)
	if len(got.list) != 2 || got.list[0].v != "PONG" || got.list[0].err != nil || c.cl.Pending() != 0 {
		t.Fatalf("got %+v, pending %d", got, c.cl.Pending())
	}
	if len(c.others) != 0 {
		t.Fatalf("the second SUBSCRIBE confirmation leaked to the node: %v", c.others)
	}

	// A call into a partition times out at the first tick past its timeout.
	w.Cut("s1", "redis-6380")
	c.cl.Do(w.Now(), "redis-6380", "cmd", 300*time.Millisecond, []string{"PING"}, record)
	w.RunFor(250 * time.Millisecond)
	if len(got.list) != 2 {
		t.Fatal("the call ended before its timeout")
	}
	w.RunFor(200 * time.Millisecond)
	if len(got.list) != 3 || !errors.Is(got.list[2].err, sim.ErrTimeout) {
		t.Fatalf("got %+v, want a timeout", got)
	}

	// Killing the server ends the calls waiting on it, at once.
	w.HealAll()
	w.Freeze("redis-6380", time.Second) // the call waits in its socket...
	c.cl.Do(w.Now(), "redis-6380", "cmd", time.Minute, []string{"PING"}, record)
	w.RunFor(10 * time.Millisecond)
	w.Kill("redis-6380") // ...and the process dies
	w.RunFor(10 * time.Millisecond)
	if len(got.list) != 4 || !errors.Is(got.list[3].err, sim.ErrClosed) {
		t.Fatalf("got %+v, want the call closed", got)
	}
	if len(c.others) != 1 {
		t.Fatalf("the node was not shown the Closed: %v", c.others)
	}
}

// A call that times out ends its connection: the next command goes on a
// new one, so a MULTI left open on the old one (its EXEC's reply lost)
// does not swallow it, and pushes on the old one are not the node's.
func TestClientMovesToANewConnectionAfterATimeout(t *testing.T) {
	w, c, got := callerWorld(2)
	record := got.record
	do := func(conn string, args ...string) {
		c.cl.Do(w.Now(), "redis-6380", conn, 300*time.Millisecond, args, record)
	}
	do("pubsub", "SUBSCRIBE", "hello")
	w.RunFor(100 * time.Millisecond)

	w.Cut("redis-6380", "s1") // replies are lost from here on
	do("cmd", "MULTI")        // arrives: the server's "cmd" is now in MULTI
	do("pubsub", "PING")
	w.RunFor(time.Second)
	if len(got.list) != 3 || !errors.Is(got.list[1].err, sim.ErrTimeout) || !errors.Is(got.list[2].err, sim.ErrTimeout) {
		t.Fatalf("got %+v, want the subscription then two timeouts", got)
	}
	w.HealAll()
	do("cmd", "PING")
	w.RunFor(100 * time.Millisecond)
	if len(got.list) != 4 || got.list[3].v != "PONG" {
		t.Fatalf("after the timeout PING got %+v: the old connection's MULTI caught it", got.list[3:])
	}
	// A publish reaches the old "pubsub" subscription: the client
	// swallows it, the node never sees it.
	do("cmd", "PUBLISH", "hello", "x")
	w.RunFor(100 * time.Millisecond)
	if got.list[4].v != int64(1) || len(c.others) != 0 {
		t.Fatalf("PUBLISH %+v, node saw %v", got.list[4], c.others)
	}
	if !strings.Contains(w.Trace().String(), "cmd[cmd#1] 4: PING") {
		t.Fatalf("the PING after the timeout did not go on a new connection:\n%s", w.Trace())
	}
}

// server answers every command with its first word, as a sentinel
// answering its peers would with Command.Answer.
type server struct{ ep *sim.Endpoint }

func (s server) Receive(_ time.Time, from string, msg sim.Msg) {
	if c, ok := msg.(sim.Command); ok {
		s.ep.Send(from, c.Answer(strings.ToLower(c.Args[0])))
	}
}
func (server) Tick(time.Time) {}

func TestNodesServeCommandsWithAnswer(t *testing.T) {
	w, c, got := callerWorld(3)
	w.Add("sentinel-2", sim.Addr{Host: "10.0.0.3", Port: 26379}, 0, func(ep *sim.Endpoint) sim.Node { return server{ep} })
	c.cl.Do(w.Now(), "sentinel-2", "cmd", time.Second, []string{"SENTINEL", "is-master-down-by-addr"}, got.record)
	w.RunFor(10 * time.Millisecond)
	if len(got.list) != 1 || got.list[0].v != "sentinel" {
		t.Fatalf("got %+v", got.list)
	}
}

func TestClientCloseOpensANewConnection(t *testing.T) {
	w := sim.New(sim.Config{Seed: 1})
	var got []string
	w.Add("server", sim.Addr{Host: "10.0.0.1", Port: 1}, time.Second, func(ep *sim.Endpoint) sim.Node {
		return nodeFunc(func(now time.Time, from string, msg sim.Msg) {
			if c, ok := msg.(sim.Command); ok {
				got = append(got, c.Conn)
			}
		})
	})
	var cl *sim.Client
	var ended error
	w.Add("client", sim.Addr{Host: "10.0.0.2", Port: 1}, time.Second, func(ep *sim.Endpoint) sim.Node {
		cl = sim.NewClient(ep)
		return nodeFunc(func(time.Time, string, sim.Msg) {})
	})
	cl.Do(w.Now(), "server", "pubsub", time.Minute, []string{"SUBSCRIBE", "x"}, func(_ any, err error) { ended = err })
	cl.Close("server", "pubsub")
	cl.Close("server", "never-used") // nothing to close
	cl.Do(w.Now(), "server", "pubsub", time.Minute, []string{"SUBSCRIBE", "x"}, nil)
	if err := w.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if ended != sim.ErrClosed || len(got) != 2 || got[0] != "pubsub" || got[1] != "pubsub#1" {
		t.Fatalf("ended %v, connections %v", ended, got)
	}
}

// nodeFunc is a sim.Node that only receives.
type nodeFunc func(now time.Time, from string, msg sim.Msg)

func (f nodeFunc) Receive(now time.Time, from string, msg sim.Msg) { f(now, from, msg) }
func (nodeFunc) Tick(time.Time)                                    {}

// A call to a crashed server is lost and times out, as on a machine that
// died; where its host refuses for it (RefuseWhileDown, a process killed
// on a live machine) the call ends at once with ErrRefused.
func TestClientCallToCrashedServerRefusedOnlyWhereItsHostRefuses(t *testing.T) {
	w, c, got := callerWorld(1)
	w.Crash("redis-6380")
	c.cl.Do(w.Now(), "redis-6380", "cmd", 500*time.Millisecond, []string{"PING"}, got.record)
	w.RunFor(300 * time.Millisecond)
	if len(got.list) != 0 {
		t.Fatalf("a call to a crashed server ended before its timeout: %+v", got.list)
	}
	w.RunFor(400 * time.Millisecond)
	if len(got.list) != 1 || !errors.Is(got.list[0].err, sim.ErrTimeout) {
		t.Fatalf("got %+v, want a timeout", got.list)
	}

	w.RefuseWhileDown("redis-6380")
	c.cl.Do(w.Now(), "redis-6380", "cmd", 500*time.Millisecond, []string{"PING"}, got.record)
	w.RunFor(50 * time.Millisecond)
	if len(got.list) != 2 || !errors.Is(got.list[1].err, sim.ErrRefused) {
		t.Fatalf("got %+v, want the second call refused within a round trip", got.list)
	}
	w.Restart("redis-6380")
	w.RunFor(50 * time.Millisecond) // its "peer restarted" reaches the caller first
	c.cl.Do(w.Now(), "redis-6380", "cmd", 500*time.Millisecond, []string{"PING"}, got.record)
	w.RunFor(50 * time.Millisecond)
	if len(got.list) != 3 || got.list[2].v != "PONG" {
		t.Fatalf("got %+v, want PONG once restarted", got.list)
	}
}
