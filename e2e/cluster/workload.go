package cluster

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/qsentinel/qsentinel/history"
)

// Workload runs concurrent clients against one Redis master name and
// records every operation in a history.Recorder: some clients through a
// proxy front (HAProxy: a plain client, a fresh connection every few
// operations as short-lived clients do), some through go-redis's
// Sentinel-aware FailoverClient. Each client draws its operations from a
// generator seeded with Seed and its id, so a run can be replayed
// (the operations, not the timings).
//
// Keys are "reg:<n>" (SET of unique values, GET), "ctr:<n>" (INCR, GET)
// and "list:<n>" (RPUSH of unique values, LRANGE). All clients work on the
// current key of each family, which moves on every OpsPerKey operations
// (counters every tenth of that):
// keys see real concurrency, yet each one's history stays small enough
// for the linearizability checker.
//
// With WaitReplicas > 0 every write is followed, on the same connection,
// by WAIT WaitReplicas WaitTimeout, and counts as acknowledged only when
// WAIT says that many replicas have it: what a client that needs zero loss
// does (see DoWait). With FenceReads too, every read is confirmed the
// same way (see DoFencedRead): what a client that must never read a write
// that will be lost does.
type Workload struct {
	Seed int64
	Rec  *history.Recorder
	// KeyPrefix goes before every key, so that workloads run one after
	// another on the same servers (the soak's windows) never share a key.
	KeyPrefix string

	Front        string // host:port of the proxy front
	FrontClients int
	// FrontAlt, if set, is a second way to the same front (a fault proxy
	// in front of HAProxy): every second front client uses it.
	FrontAlt string

	MasterName      string
	SentinelAddrs   []string
	FailoverClients int

	OpsPerKey      int           // default 100
	Interval       time.Duration // pause between a client's operations; default 10 ms
	Timeout        time.Duration // read/write/dial timeout of one operation; default 500 ms
	ReconnectEvery int           // front clients: operations per connection; default 10

	WaitReplicas int           // 0: writes are acknowledged by their reply
	WaitTimeout  time.Duration // WAIT's timeout; default 250 ms (below Timeout)
	// FenceReads (with WaitReplicas > 0): each read is followed by a
	// write to the client's own fence key and WAIT, and counts only when
	// WAIT confirms (DoFencedRead).
	FenceReads bool

	next [3]atomic.Int64 // per family, operations handed out
}

// Start runs the clients until stop, which waits for them.
func (w *Workload) Start() (stop func()) {
	if w.Rec == nil {
		w.Rec = history.NewRecorder(0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	id := 0
	for range w.FrontClients {
		id++
		wg.Add(1)
		go func(id int) { defer wg.Done(); w.runFront(ctx, id) }(id)
	}
	for range w.FailoverClients {
		id++
		wg.Add(1)
		go func(id int) { defer wg.Done(); w.runFailover(ctx, id) }(id)
	}
	return func() { cancel(); wg.Wait() }
}

func (w *Workload) defaults() (opsPerKey int, interval, timeout time.Duration, every int) {
	opsPerKey, interval, timeout, every = w.OpsPerKey, w.Interval, w.Timeout, w.ReconnectEvery
	if opsPerKey <= 0 {
		opsPerKey = 100
	}
	if interval <= 0 {
		interval = 10 * time.Millisecond
	}
	if timeout <= 0 {
		timeout = 500 * time.Millisecond
	}
	if every <= 0 {
		every = 10
	}
	return
}

func (w *Workload) runFront(ctx context.Context, id int) {
	_, _, timeout, every := w.defaults()
	addr := w.Front
	if w.FrontAlt != "" && id%2 == 0 {
		addr = w.FrontAlt
	}
	var rdb *redis.Client
	defer func() {
		if rdb != nil {
			rdb.Close()
		}
	}()
	n := 0
	w.loop(ctx, id, func() *redis.Client {
		if rdb == nil || n%every == 0 {
			if rdb != nil {
				rdb.Close()
			}
			rdb = redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, PoolSize: 1, Protocol: 2,
				DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout})
		}
		n++
		return rdb
	})
}

func (w *Workload) runFailover(ctx context.Context, id int) {
	_, _, timeout, _ := w.defaults()
	// go-redis keeps asking the first sentinel that answers: each client
	// gets its own (seeded) order, so some ask a sentinel that a partition
	// leaves behind, as real clients would.
	addrs := append([]string(nil), w.SentinelAddrs...)
	rng := rand.New(rand.NewPCG(uint64(w.Seed), uint64(id)<<32))
	rng.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	// No retries: a retried RPUSH may append twice, and the history must
	// show what one attempt did.
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: w.MasterName, SentinelAddrs: addrs,
		MaxRetries: -1, PoolSize: 1, Protocol: 2, DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout})
	defer rdb.Close()
	w.loop(ctx, id, func() *redis.Client { return rdb })
}

// loop runs operations until ctx ends, backing off a little after a
// failure so that an outage does not flood the history with attempts.
func (w *Workload) loop(ctx context.Context, id int, client func() *redis.Client) {
	opsPerKey, interval, _, _ := w.defaults()
	rng := rand.New(rand.NewPCG(uint64(w.Seed), uint64(id)))
	for seq := 1; ctx.Err() == nil; seq++ {
		op := w.do(client(), w.draw(rng, id, seq, opsPerKey))
		w.Rec.Add(op)
		pause := interval
		if op.Outcome != history.OK {
			pause = 10 * interval
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// families in key order; weights of the draw below.
var families = [3]string{"reg", "ctr", "list"}

func (w *Workload) draw(rng *rand.Rand, id, seq, opsPerKey int) history.Op {
	f := 0 // 45% register, 10% counter, 45% list
	switch x := rng.IntN(100); {
	case x >= 55:
		f = 2
	case x >= 45:
		f = 1
	}
	n := w.next[f].Add(1) - 1
	per := int64(opsPerKey)
	if f == 1 {
		// Counters move ten times as fast: INCRs without an answer
		// (a long outage, WAIT unconfirmed) are anonymous, and porcupine
		// may try every subset of them; a quarter of the ops per key
		// still left keys of a 16 s zero-loss outage undecided.
		per = max(per/10, 1)
	}
	op := history.Op{Client: id, Key: w.KeyPrefix + families[f] + ":" + strconv.FormatInt(n/per, 10)}
	value := fmt.Sprintf("c%d-%d", id, seq)
	write := rng.IntN(100) < 60
	switch {
	case f == 0 && write:
		op.Kind, op.Value = history.Set, value
	case f == 1 && write:
		op.Kind = history.Incr
	case f == 2 && write:
		op.Kind, op.Value = history.RPush, value
	case f == 2:
		op.Kind = history.LRange
	default:
		op.Kind = history.Get
	}
	return op
}

// do runs op, a write with WAIT when the workload asks for it, a read
// with a fence and WAIT when it asks for that too.
func (w *Workload) do(rdb *redis.Client, op history.Op) history.Op {
	if w.WaitReplicas <= 0 || !op.Kind.IsWrite() && !w.FenceReads {
		return Do(rdb, op)
	}
	wt := w.WaitTimeout
	if wt <= 0 {
		wt = 250 * time.Millisecond
	}
	if !op.Kind.IsWrite() {
		return DoFencedRead(rdb, op, w.KeyPrefix+"fence:"+strconv.Itoa(op.Client), w.WaitReplicas, wt)
	}
	return DoWait(rdb, op, w.WaitReplicas, wt)
}

// Do runs one operation on rdb and returns it completed: times, outcome
// and result.
func Do(rdb *redis.Client, op history.Op) history.Op {
	ctx := context.Background()
	op.Call = time.Now()
	var err error
	switch op.Kind {
	case history.Set:
		err = rdb.Set(ctx, op.Key, op.Value, 0).Err()
	case history.Get:
		op.Text, err = rdb.Get(ctx, op.Key).Result()
		op.Found = err == nil
		if errors.Is(err, redis.Nil) {
			err = nil
		}
	case history.Incr:
		op.N, err = rdb.Incr(ctx, op.Key).Result()
	case history.RPush:
		op.N, err = rdb.RPush(ctx, op.Key, op.Value).Result()
	case history.LRange:
		op.List, err = rdb.LRange(ctx, op.Key, 0, -1).Result()
	}
	op.Return = time.Now()
	op.Outcome = outcomeOf(err)
	if err != nil {
		op.Err = err.Error()
		op.Text, op.Found, op.N, op.List = "", false, 0, nil
	}
	return op
}

// DoWait runs a write followed by WAIT replicas timeout, pipelined on one
// connection (WAIT counts the replicas that acknowledged this
// connection's last write). The write is acknowledged only when WAIT says
// at least replicas have it. A refused write (NOREPLICAS, READONLY, a
// failed dial) is Failed as with Do. A write that the master executed but
// WAIT did not confirm (fewer replicas, an error, no answer) has an
// unknown outcome: it may survive or be lost, as a timeout may.
func DoWait(rdb *redis.Client, op history.Op, replicas int, timeout time.Duration) history.Op {
	ctx := context.Background()
	op.Call = time.Now()
	pipe := rdb.Pipeline()
	var write redis.Cmder
	var n *redis.IntCmd
	switch op.Kind {
	case history.Set:
		write = pipe.Set(ctx, op.Key, op.Value, 0)
	case history.Incr:
		n = pipe.Incr(ctx, op.Key)
		write = n
	case history.RPush:
		n = pipe.RPush(ctx, op.Key, op.Value)
		write = n
	default:
		panic(fmt.Sprintf("DoWait: %v is not a write", op.Kind))
	}
	// WAIT is not in go-redis's Pipeliner; Do sends it as it is.
	wait := pipe.Do(ctx, "WAIT", replicas, timeout.Milliseconds())
	// Exec's error is the first failed command's; each command's own
	// error is read below, the write's first.
	_, _ = pipe.Exec(ctx)
	op.Return = time.Now()
	err := write.Err()
	op.Outcome = outcomeOf(err)
	got, werr := wait.Int64()
	switch {
	case err != nil:
	case werr != nil:
		op.Outcome, op.Executed, err = history.Maybe, true, fmt.Errorf("WAIT: %w", werr)
	case got < int64(replicas):
		op.Outcome, op.Executed, err = history.Maybe, true, fmt.Errorf("WAIT: %d of %d replicas", got, replicas)
	case n != nil:
		op.N = n.Val()
	}
	if err != nil {
		op.Err = err.Error()
		op.N = 0
	}
	return op
}

// DoFencedRead runs a read, then SET fence 1 and WAIT replicas timeout,
// pipelined on one connection, and counts the read only when WAIT says
// at least replicas have the fence. Redis executes and replicates
// commands in one order, so a confirmed fence means those replicas have
// every write the read could have seen: a master that is cut off (its
// fence unconfirmed, or refused with NOREPLICAS) or already demoted
// (READONLY) cannot hand out a write that the failover will drop. This
// is raft's ReadIndex done with what Redis has; it costs a write and a
// replica round trip per read. An unconfirmed read has an unknown
// outcome, which tells nothing.
func DoFencedRead(rdb *redis.Client, op history.Op, fence string, replicas int, timeout time.Duration) history.Op {
	ctx := context.Background()
	op.Call = time.Now()
	pipe := rdb.Pipeline()
	var get *redis.StringCmd
	var lrange *redis.StringSliceCmd
	switch op.Kind {
	case history.Get:
		get = pipe.Get(ctx, op.Key)
	case history.LRange:
		lrange = pipe.LRange(ctx, op.Key, 0, -1)
	default:
		panic(fmt.Sprintf("DoFencedRead: %v is not a read", op.Kind))
	}
	set := pipe.Set(ctx, fence, 1, 0)
	wait := pipe.Do(ctx, "WAIT", replicas, timeout.Milliseconds())
	_, _ = pipe.Exec(ctx)
	op.Return = time.Now()
	var err error
	if get != nil {
		op.Text, err = get.Result()
		op.Found = err == nil
		if errors.Is(err, redis.Nil) {
			err = nil
		}
	} else {
		op.List, err = lrange.Result()
	}
	op.Outcome = outcomeOf(err)
	if err == nil {
		got, werr := wait.Int64()
		switch {
		case set.Err() != nil:
			err = fmt.Errorf("fence: %w", set.Err())
		case werr != nil:
			err = fmt.Errorf("WAIT: %w", werr)
		case got < int64(replicas):
			err = fmt.Errorf("WAIT: %d of %d replicas", got, replicas)
		}
		if err != nil {
			op.Outcome = history.Maybe
		}
	}
	if err != nil {
		op.Err = err.Error()
		op.Text, op.Found, op.List = "", false, nil
	}
	return op
}

// outcomeOf classifies an error: none is OK; an error reply from the
// server (READONLY, NOREPLICAS, MASTERDOWN, LOADING, ...) and a failed
// dial mean the command was not executed; anything else (a timeout, a
// connection closed after the command was sent) leaves it unknown.
func outcomeOf(err error) history.Outcome {
	if err == nil {
		return history.OK
	}
	var re redis.Error
	if errors.As(err, &re) {
		return history.Failed
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return history.Failed
	}
	return history.Maybe
}

// ReadFinal reads every key the history touched from the master at addr,
// recording the reads as operations of history.FinalClient. Call it after
// stop, once the cluster has healed and agrees on addr.
func (w *Workload) ReadFinal(addr string) error {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: 2, Protocol: 2})
	defer rdb.Close()
	kinds := map[string]history.Kind{}
	for _, o := range w.Rec.Ops() {
		// By the operations, not the name: keys carry KeyPrefix.
		if o.Kind == history.RPush || o.Kind == history.LRange {
			kinds[o.Key] = history.LRange
		} else if _, ok := kinds[o.Key]; !ok {
			kinds[o.Key] = history.Get
		}
	}
	for key, kind := range kinds {
		op := Do(rdb, history.Op{Client: history.FinalClient, Key: key, Kind: kind})
		if op.Outcome != history.OK {
			return fmt.Errorf("final read of %s from %s: %s", key, addr, op.Err)
		}
		if !w.Rec.Add(op) {
			return fmt.Errorf("history full (%d dropped)", w.Rec.Dropped())
		}
	}
	return nil
}
