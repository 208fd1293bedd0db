package cluster

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qsentinel/qsentinel/history"
)

// fakeServer answers SET with READONLY, INCR with a number, CLIENT
// (go-redis's handshake) with OK, HELLO as an unknown command, and never answers GET: enough to see
// how the workload classifies each outcome.
func fakeServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := NewReader(c)
				for {
					v, err := r.ReadValue()
					if err != nil {
						return
					}
					var reply string
					switch cmd := strings.ToUpper(v.Strings()[0]); cmd {
					case "SET":
						reply = "-READONLY You can't write against a read only replica.\r\n"
					case "INCR":
						reply = ":7\r\n"
					case "GET":
						continue
					case "HELLO": // as redis 5: go-redis falls back to RESP2
						reply = "-ERR unknown command 'HELLO'\r\n"
					default:
						reply = "+OK\r\n"
					}
					if _, err := c.Write([]byte(reply)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestDoClassifiesOutcomes(t *testing.T) {
	addr := fakeServer(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, Protocol: 2, ReadTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	if op := Do(rdb, history.Op{Kind: history.Set, Key: "k", Value: "v"}); op.Outcome != history.Failed || !strings.Contains(op.Err, "READONLY") {
		t.Errorf("SET refused with READONLY: %v, want failed", op)
	}
	if op := Do(rdb, history.Op{Kind: history.Incr, Key: "k"}); op.Outcome != history.OK || op.N != 7 {
		t.Errorf("INCR: %v, want ok 7", op)
	}
	if op := Do(rdb, history.Op{Kind: history.Get, Key: "k"}); op.Outcome != history.Maybe {
		t.Errorf("GET without an answer: %v, want maybe", op)
	}

	// A port nobody listens on: the dial fails, nothing was sent.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	rdb2 := redis.NewClient(&redis.Options{Addr: dead, MaxRetries: -1, Protocol: 2})
	defer rdb2.Close()
	if op := Do(rdb2, history.Op{Kind: history.RPush, Key: "l", Value: "v"}); op.Outcome != history.Failed {
		t.Errorf("RPUSH to a closed port: %v, want failed", op)
	}
}

// TestWorkloadPacesByOutcome: clients pause Interval after an
// acknowledged operation and ten times that only after a failure (the
// back-off once applied to every operation, which cut the rate tenfold).
func TestWorkloadPacesByOutcome(t *testing.T) {
	c := New(t)
	m := c.StartRedis("m")
	w := &Workload{Seed: 1, Front: m.Addr(), FrontClients: 4, KeyPrefix: "w1/"}
	stop := w.Start()
	time.Sleep(time.Second)
	stop()
	ops := w.Rec.Ops()
	// The final state of prefixed keys reads back (lists by LRANGE) and
	// the history of a healthy server checks.
	if err := w.ReadFinal(m.Addr()); err != nil {
		t.Fatal(err)
	}
	if res := history.Check(w.Rec.Ops()); !res.OK() || res.Acked == 0 {
		t.Errorf("a healthy server's history:\n%s", res.Report())
	}
	// 4 clients, 10 ms apart, for a second: about 360 on an idle machine;
	// 40 with the back-off on every operation.
	if len(ops) < 150 {
		t.Fatalf("%d operations in 1 s from 4 clients, want at least 150", len(ops))
	}
	for _, o := range ops {
		if o.Outcome != history.OK {
			t.Errorf("against a healthy redis-server: %v", o)
		}
	}
}

// TestDoWaitAcksOnlyReplicated: with WAIT, a write is acknowledged only
// when a replica has it; a write the master took but no replica confirmed
// is unknown (it may be lost); a write the master refused (NOREPLICAS) is
// refused.
func TestDoWaitAcksOnlyReplicated(t *testing.T) {
	c := New(t)
	m := c.StartRedis("m")
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, PoolSize: 1, Protocol: 2, ReadTimeout: time.Second})
	defer rdb.Close()
	op := DoWait(rdb, history.Op{Kind: history.RPush, Key: "l", Value: "a"}, 1, 50*time.Millisecond)
	if op.Outcome != history.Maybe || !op.Executed || !strings.Contains(op.Err, "0 of 1") {
		t.Errorf("RPUSH + WAIT 1 with no replica: %v (executed %v), want maybe, executed (0 of 1 replicas)", op, op.Executed)
	}
	if v, err := m.Do("LLEN", "l"); err != nil || v.Int != 1 {
		t.Errorf("the master took the unconfirmed write: LLEN %v %v, want 1", v, err)
	}

	r := c.StartReplica("r", m)
	WaitReplicaSynced(t, r)
	op = DoWait(rdb, history.Op{Kind: history.Incr, Key: "c"}, 1, time.Second)
	if op.Outcome != history.OK || op.N != 1 {
		t.Errorf("INCR + WAIT 1 with a replica: %v, want ok 1", op)
	}

	r.Kill()
	for _, args := range [][]string{{"CONFIG", "SET", "min-replicas-to-write", "1"}, {"CONFIG", "SET", "min-replicas-max-lag", "1"}} {
		if v, err := m.Do(args...); err != nil || v.IsError() {
			t.Fatalf("%v: %v %v", args, v, err)
		}
	}
	WaitFor(t, 10*time.Second, "the master to refuse writes without its replica", func() error {
		op = DoWait(rdb, history.Op{Kind: history.Set, Key: "k", Value: "v"}, 1, 50*time.Millisecond)
		if op.Outcome != history.Failed || !strings.Contains(op.Err, "NOREPLICAS") {
			return fmt.Errorf("SET: %v", op)
		}
		return nil
	})
}

// TestDoFencedReadCountsOnlyConfirmed: a fenced read counts only when a
// replica confirms its fence: with no replica the master's answer (which
// may show a write the failover will drop) is unknown, with one it is
// the read's result, on a replica (READONLY fence) it is unknown too.
func TestDoFencedReadCountsOnlyConfirmed(t *testing.T) {
	c := New(t)
	m := c.StartRedis("m")
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, PoolSize: 1, Protocol: 2, ReadTimeout: time.Second})
	defer rdb.Close()
	if op := Do(rdb, history.Op{Kind: history.RPush, Key: "l", Value: "a"}); op.Outcome != history.OK {
		t.Fatalf("RPUSH: %v", op)
	}
	op := DoFencedRead(rdb, history.Op{Kind: history.LRange, Key: "l"}, "fence:1", 1, 50*time.Millisecond)
	if op.Outcome != history.Maybe || op.List != nil || !strings.Contains(op.Err, "0 of 1") {
		t.Errorf("LRANGE + fence + WAIT 1 with no replica: %v, want maybe (0 of 1 replicas), no result", op)
	}

	r := c.StartReplica("r", m)
	WaitReplicaSynced(t, r)
	op = DoFencedRead(rdb, history.Op{Kind: history.LRange, Key: "l"}, "fence:1", 1, time.Second)
	if op.Outcome != history.OK || len(op.List) != 1 || op.List[0] != "a" {
		t.Errorf("LRANGE + fence + WAIT 1 with a replica: %v, want ok [a]", op)
	}
	op = DoFencedRead(rdb, history.Op{Kind: history.Get, Key: "nokey"}, "fence:1", 1, time.Second)
	if op.Outcome != history.OK || op.Found {
		t.Errorf("GET of a missing key, fenced: %v, want ok, not found", op)
	}

	rr := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1, PoolSize: 1, Protocol: 2, ReadTimeout: time.Second})
	defer rr.Close()
	op = DoFencedRead(rr, history.Op{Kind: history.Get, Key: "k"}, "fence:1", 1, 50*time.Millisecond)
	if op.Outcome != history.Maybe || !strings.Contains(op.Err, "READONLY") {
		t.Errorf("GET + fence on a replica: %v, want maybe (fence: READONLY)", op)
	}
}
