package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// TestSimRedisMatchesRealRedis keeps the simulator's Redis model honest:
// the same commands a sentinel sends go to a real redis-server master and
// replica and to the model's, and the replies (error texts, reply shapes)
// and the INFO replication field lists must be the same.
func TestSimRedisMatchesRealRedis(t *testing.T) {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	waitOnline(t, master)

	m := newModelPair(t)
	realM, realR := dial(t, master.Addr()), dial(t, replica.Addr())

	for _, cmd := range [][]string{
		{"PING"}, {"PING", "hello"}, {"ROLE"},
		{"SLAVEOF", "127.0.0.1", "notaport"}, {"SLAVEOF", "a"}, {"REPLICAOF", "NO", "ONE"},
		{"FAILOVER", "ABORT"}, {"FAILOVER", "TO", "127.0.0.1", "1"},
		{"FAILOVER", "TO", "127.0.0.1", "1", "TIMEOUT", "abc"}, {"FAILOVER", "BOGUS"},
		{"FAILOVER", "TO", "127.0.0.1", "1", "FORCE"}, {"FAILOVER", "TIMEOUT", "0"},
		{"EXEC"}, {"DISCARD"}, {"MULTI"}, {"MULTI"}, {"PING"}, {"EXEC"},
		{"MULTI"}, {"BADCMD", "x"}, {"PING"}, {"EXEC"},
		{"MULTI"}, {"FAILOVER", "ABORT"}, {"EXEC"},
		{"SCRIPT", "KILL"}, {"CLIENT", "KILL", "TYPE", "bogus"}, {"CLIENT", "PAUSE", "abc"},
		{"CLIENT", "GETNAME"}, {"CLIENT", "SETNAME", "sentinel-1-cmd"}, {"CLIENT", "GETNAME"},
		{"CLIENT", "UNPAUSE"}, {"AUTH", "x"}, {"NOSUCH", "a", "b"}, {"INFO", "nosuchsection"},
		{"PUBLISH", "__sentinel__:hello", "x"},
		// The fence (failover/fence.go) sets these two.
		{"CONFIG", "SET", "nosuch", "1"}, {"CONFIG", "SET", "min-replicas-to-write"},
		{"CONFIG", "SET", "min-replicas-to-write", "x"}, {"CONFIG", "SET", "min-replicas-max-lag", "-1"},
		{"CONFIG", "SET", "min-replicas-max-lag", "10"}, {"CONFIG", "SET", "min-replicas-to-write", "1"},
	} {
		compare(t, "master", cmd, realM.do(t, cmd...), m.do("redis-6380", "cmd", cmd...))
	}
	for _, cmd := range [][]string{
		{"ROLE"}, {"FAILOVER"}, {"SLAVEOF", "127.0.0.1", fmt.Sprint(master.Port)},
	} {
		want := m.do("redis-6381", "cmd", replaceMasterPort(cmd, master.Port)...)
		compare(t, "replica", cmd, realR.do(t, cmd...), want)
	}
	realSub := dial(t, master.Addr())
	for _, cmd := range [][]string{{"SUBSCRIBE", "__sentinel__:hello"}, {"INFO"}, {"PING"}} {
		compare(t, "subscriber", cmd, realSub.do(t, cmd...), m.do("redis-6380", "sub", cmd...))
	}

	fieldsOf := func(info string) []string {
		var out []string
		for k := range strings.SplitSeq(info, "\r\n") {
			if name, _, ok := strings.Cut(k, ":"); ok {
				out = append(out, name)
			}
		}
		return out
	}
	infoFields := func(name string, v cluster.Value, model any) {
		t.Helper()
		real, sim := fieldsOf(v.Str), fieldsOf(model.(string))
		if !slices.Equal(real, sim) {
			t.Errorf("%s INFO replication fields:\nreal  %v\nmodel %v", name, real, sim)
		}
	}
	infoFields("master", realM.do(t, "INFO", "replication"), m.do("redis-6380", "cmd", "INFO", "replication"))
	infoFields("replica", realR.do(t, "INFO", "replication"), m.do("redis-6381", "cmd", "INFO", "replication"))

	// A coordinated switchover: FAILOVER TO the replica; the roles swap.
	compare(t, "master", []string{"FAILOVER", "TO"}, realM.do(t, "FAILOVER", "TO", "127.0.0.1", fmt.Sprint(replica.Port), "TIMEOUT", "5000"),
		m.do("redis-6380", "cmd", "FAILOVER", "TO", "127.0.0.1", "6381", "TIMEOUT", "5000"))
	cluster.WaitReplicaOf(t, master, replica, 10*time.Second)
	cluster.WaitReplicaSynced(t, master)
	waitOnline(t, replica)
	m.w.RunFor(time.Second)
	infoFields("old master after FAILOVER", realM.do(t, "INFO", "replication"), m.do("redis-6380", "cmd", "INFO", "replication"))
	infoFields("new master after FAILOVER", realR.do(t, "INFO", "replication"), m.do("redis-6381", "cmd", "INFO", "replication"))
	compare(t, "old master after FAILOVER", []string{"ROLE"}, realM.do(t, "ROLE"), m.do("redis-6380", "cmd", "ROLE"))
	compare(t, "new master after FAILOVER", []string{"ROLE"}, realR.do(t, "ROLE"), m.do("redis-6381", "cmd", "ROLE"))

	// The new master's process dies: its replica's link goes down at once.
	replica.Kill()
	m.w.Kill("redis-6381")
	cluster.WaitFor(t, 10*time.Second, "old master's link down", func() error {
		if info, err := master.Info("replication"); err != nil || info["master_link_status"] != "down" {
			return fmt.Errorf("link %q (%v)", info["master_link_status"], err)
		}
		return nil
	})
	m.w.RunFor(100 * time.Millisecond)
	infoFields("replica, link down", realM.do(t, "INFO", "replication"), m.do("redis-6380", "cmd", "INFO", "replication"))
	compare(t, "replica, link down", []string{"ROLE"}, realM.do(t, "ROLE"), m.do("redis-6380", "cmd", "ROLE"))
}

// waitOnline waits until master lists its replica as online (right after
// the replica's link is up it may still say wait_bgsave).
func waitOnline(t *testing.T, master *cluster.Redis) {
	t.Helper()
	cluster.WaitFor(t, 10*time.Second, "replica online", func() error {
		info, err := master.Info("replication")
		if err != nil || !strings.Contains(info["slave0"], "state=online") {
			return fmt.Errorf("slave0 %q (%v)", info["slave0"], err)
		}
		return nil
	})
}

type realConn struct{ *cluster.Conn }

func dial(t *testing.T, addr string) realConn {
	t.Helper()
	cn, err := cluster.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cn.Close() })
	return realConn{cn}
}

func (c realConn) do(t *testing.T, args ...string) cluster.Value {
	t.Helper()
	v, err := c.Do(args...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// modelPair is the model's master redis-6380 (at 127.0.0.1:6380) and
// replica redis-6381, in a world driven synchronously by do.
type modelPair struct {
	t       *testing.T
	w       *sim.World
	cl      *sim.Client
	replies map[uint64]any
}

type clientNode struct{ p *modelPair }

func (n clientNode) Receive(_ time.Time, from string, msg sim.Msg) { n.p.cl.Handle(from, msg) }
func (n clientNode) Tick(time.Time)                                {}

func newModelPair(t *testing.T) *modelPair {
	p := &modelPair{t: t, w: sim.New(sim.Config{Seed: 1}), replies: map[uint64]any{}}
	p.w.Add("redis-6380", sim.Addr{Host: "127.0.0.1", Port: 6380}, 100*time.Millisecond, simredis.New(simredis.Options{}))
	p.w.Add("redis-6381", sim.Addr{Host: "127.0.0.1", Port: 6381}, 100*time.Millisecond,
		simredis.New(simredis.Options{ReplicaOf: sim.Addr{Host: "127.0.0.1", Port: 6380}}))
	p.w.Add("cli", sim.Addr{Host: "127.0.0.1", Port: 1}, 0, func(ep *sim.Endpoint) sim.Node {
		p.cl = sim.NewClient(ep)
		return clientNode{p}
	})
	p.w.RunFor(time.Second)
	return p
}

func (p *modelPair) do(to, conn string, args ...string) any {
	p.t.Helper()
	var got any
	done := false
	p.cl.Do(p.w.Now(), to, conn, time.Second, args, func(v any, err error) { got, done = v, err == nil })
	p.w.RunFor(50 * time.Millisecond)
	if !done {
		p.t.Fatalf("model %s: no reply to %v", to, args)
	}
	return got
}

// replaceMasterPort points a SLAVEOF at the model's master instead.
func replaceMasterPort(cmd []string, realPort int) []string {
	out := slices.Clone(cmd)
	for i, a := range out {
		if a == fmt.Sprint(realPort) {
			out[i] = "6380"
		}
	}
	return out
}

// compare fails when the real reply and the model's differ in kind or in
// text; numbers and addresses (ports, offsets) are compared by kind only.
func compare(t *testing.T, who string, cmd []string, real cluster.Value, model any) {
	t.Helper()
	if r, m := shapeReal(real), shapeModel(model); r != m {
		t.Errorf("%s %v:\nreal  %s\nmodel %s", who, cmd, r, m)
	}
}

func shapeReal(v cluster.Value) string {
	switch v.Kind {
	case cluster.Error:
		return "-" + v.Str
	case cluster.SimpleString, cluster.Bulk:
		return textShape(v.Str)
	case cluster.Integer:
		return ":n"
	case cluster.Null:
		return "(nil)"
	case cluster.Array, cluster.Push:
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = shapeReal(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return v.Kind.String()
}

func shapeModel(v any) string {
	switch v := v.(type) {
	case sim.RedisError:
		return "-" + string(v)
	case string:
		return textShape(v)
	case int64:
		return ":n"
	case nil:
		return "(nil)"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = shapeModel(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprintf("%T", v)
}

// textShape keeps texts but not numbers or addresses, which differ
// between the real servers and the model by design.
func textShape(s string) string {
	switch {
	case s == "":
		return `""`
	case strings.Trim(s, "0123456789.-") == "":
		return "num"
	case strings.HasPrefix(s, "# "):
		return "info"
	}
	return fmt.Sprintf("%q", s)
}
