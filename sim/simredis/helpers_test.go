package simredis_test

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// client is a test node that sends commands and keeps what comes back.
type client struct {
	ep      *sim.Endpoint
	seq     uint64
	replies map[uint64][]any
	msgs    []sim.Message
	closed  []sim.Closed
}

var _ sim.Node = (*client)(nil)

func (c *client) Receive(_ time.Time, _ string, msg sim.Msg) {
	switch m := msg.(type) {
	case sim.Reply:
		c.replies[m.Seq] = append(c.replies[m.Seq], m.Value)
	case sim.Message:
		c.msgs = append(c.msgs, m)
	case sim.Closed:
		c.closed = append(c.closed, m)
	}
}

func (c *client) Tick(time.Time) {}

// rig is a world with servers and one client, "cli".
type rig struct {
	t   *testing.T
	w   *sim.World
	cli *client
}

func newRig(t *testing.T, seed uint64) *rig {
	t.Helper()
	w := sim.New(sim.Config{Seed: seed})
	r := &rig{t: t, w: w}
	w.Add("cli", sim.Addr{Host: "10.0.0.9", Port: 1}, 0, func(ep *sim.Endpoint) sim.Node {
		r.cli = &client{ep: ep, replies: map[uint64][]any{}}
		return r.cli
	})
	return r
}

// addr is where server "redis-<port>" lives.
func addr(port int) sim.Addr { return sim.Addr{Host: "10.0.0.1", Port: port} }

func (r *rig) server(name string, port int, opts simredis.Options) {
	r.w.Add(name, addr(port), 100*time.Millisecond, simredis.New(opts))
}

// srv is the running model behind name.
func (r *rig) srv(name string) *simredis.Server {
	r.t.Helper()
	s, ok := r.w.Node(name).(*simredis.Server)
	if !ok {
		r.t.Fatalf("%s is not a running server", name)
	}
	return s
}

// sendOn sends a command on connection conn and returns its sequence number.
func (r *rig) sendOn(to, conn string, args ...string) uint64 {
	r.cli.seq++
	r.cli.ep.Send(to, sim.Command{Conn: conn, Seq: r.cli.seq, Args: args})
	return r.cli.seq
}

// doOn runs the world until the first reply to the command arrives.
func (r *rig) doOn(to, conn string, args ...string) any {
	r.t.Helper()
	seq := r.sendOn(to, conn, args...)
	deadline := r.w.Now().Add(2 * time.Second)
	for len(r.cli.replies[seq]) == 0 {
		if !r.w.Step() || r.w.Now().After(deadline) {
			r.t.Fatalf("no reply from %s to %v\n%s", to, args, r.w.Trace())
		}
	}
	return r.cli.replies[seq][0]
}

func (r *rig) do(to string, args ...string) any {
	r.t.Helper()
	return r.doOn(to, "cmd", args...)
}

func (r *rig) run(d time.Duration) {
	r.t.Helper()
	if err := r.w.RunFor(d); err != nil {
		r.t.Fatal(err)
	}
}

// info is INFO parsed the way the sentinel parses a real server's.
func (r *rig) info(name string) sentinel.InfoReport {
	r.t.Helper()
	s, ok := r.do(name, "INFO").(string)
	if !ok {
		r.t.Fatalf("INFO from %s is not a string", name)
	}
	return sentinel.ParseInfo(s)
}

func (r *rig) want(got, want any) {
	r.t.Helper()
	if sim.FormatValue(got) != sim.FormatValue(want) {
		r.t.Fatalf("got %s, want %s", sim.FormatValue(got), sim.FormatValue(want))
	}
}

// pair is a master redis-6380 and its replica redis-6381, in sync.
func pair(t *testing.T, seed uint64, opts simredis.Options) *rig {
	t.Helper()
	r := newRig(t, seed)
	r.server("redis-6380", 6380, opts)
	ropts := opts
	ropts.ReplicaOf = addr(6380)
	r.server("redis-6381", 6381, ropts)
	r.run(time.Second)
	return r
}
