package cluster

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Writer writes numbered keys (Prefix:1, Prefix:2, ...) to Addr, opening a
// fresh connection every ReconnectEvery writes as short-lived clients do,
// and remembers which writes were acknowledged and when: enough to measure
// a client's outage and to count acknowledged writes that were lost.
type Writer struct {
	Addr           string
	Prefix         string
	ReconnectEvery int           // default 10
	Interval       time.Duration // pause between writes; default 5 ms

	mu       sync.Mutex
	acked    []int
	okTimes  []time.Time
	failures int
}

// Start runs the writer in the background; stop ends it and waits.
func (w *Writer) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	return func() { cancel(); <-done }
}

// Run writes until ctx ends.
func (w *Writer) Run(ctx context.Context) {
	every, pause := w.ReconnectEvery, w.Interval
	if every <= 0 {
		every = 10
	}
	if pause <= 0 {
		pause = 5 * time.Millisecond
	}
	var rdb *redis.Client
	defer func() {
		if rdb != nil {
			rdb.Close()
		}
	}()
	for i := 1; ctx.Err() == nil; i++ {
		if rdb == nil || i%every == 1 {
			if rdb != nil {
				rdb.Close()
			}
			rdb = redis.NewClient(&redis.Options{Addr: w.Addr, MaxRetries: -1, PoolSize: 1, Protocol: 2,
				DialTimeout: 300 * time.Millisecond, ReadTimeout: 300 * time.Millisecond, WriteTimeout: 300 * time.Millisecond})
		}
		err := rdb.Set(ctx, w.Prefix+":"+strconv.Itoa(i), i, 0).Err()
		w.mu.Lock()
		if err == nil {
			w.acked = append(w.acked, i)
			w.okTimes = append(w.okTimes, time.Now())
		} else if ctx.Err() == nil {
			w.failures++
		}
		w.mu.Unlock()
		time.Sleep(pause)
	}
}

// Acked is the number of acknowledged writes; Failures the failed ones.
func (w *Writer) Acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// LastAck is when the last write was acknowledged (zero: none yet).
func (w *Writer) LastAck() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.okTimes) == 0 {
		return time.Time{}
	}
	return w.okTimes[len(w.okTimes)-1]
}

// Failures is the number of writes that got an error.
func (w *Writer) Failures() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failures
}

// Outage is the longest stretch without an acknowledged write since from.
func (w *Writer) Outage(from time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var longest time.Duration
	prev := from
	for _, t := range w.okTimes {
		if t.Before(from) {
			continue
		}
		longest = max(longest, t.Sub(prev))
		prev = t
	}
	return longest
}

// Lost reads every acknowledged key back from the master at addr.
func (w *Writer) Lost(addr string) (lost, acked int, err error) {
	w.mu.Lock()
	acks := append([]int(nil), w.acked...)
	w.mu.Unlock()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	pipe := rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(acks))
	for k, i := range acks {
		cmds[k] = pipe.Exists(ctx, w.Prefix+":"+strconv.Itoa(i))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, len(acks), err
	}
	for _, c := range cmds {
		if c.Val() == 0 {
			lost++
		}
	}
	return lost, len(acks), nil
}
