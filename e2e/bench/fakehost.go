package main

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// fakeHost serves every connection of a fake host's instances on one
// event loop. At 1,000 masters the three sentinels send a host some
// 24,000 PINGs a second; with a goroutine, a reader and a writer per
// connection it took CPU away from the sentinels it was there to measure
// and answered up to 1.3 s late, and masters failed over during the
// set-up. On one loop a batch of ready connections costs one wake-up,
// and a command one read into a buffer shared by all of them.
type fakeHost struct {
	loop *eventloop.Loop
	slow *fakeSlow // BENCH_FAKE_SLOW, nil when off
}

// serveFakeHost serves lns[k] as insts[k] until ctx ends, then closes
// the listeners and every connection and returns once all is stopped.
func serveFakeHost(ctx context.Context, lns []net.Listener, insts []*fakeInstance, slow *fakeSlow) error {
	loop, err := eventloop.New()
	if err != nil {
		return err
	}
	h := &fakeHost{loop: loop, slow: slow}
	var accepting sync.WaitGroup
	for k, l := range lns {
		accepting.Go(func() { h.accept(l, insts[k]) })
	}
	stop := context.AfterFunc(ctx, func() {
		for _, l := range lns {
			l.Close()
		}
	})
	defer stop()
	err = loop.Run(ctx)
	for _, l := range lns {
		l.Close() // when Run failed on its own
	}
	accepting.Wait()
	return err
}

// accept hands m's connections to the loop. A goroutine per listener
// costs a parked stack and nothing per command.
func (h *fakeHost) accept(l net.Listener, m *fakeInstance) {
	for {
		nc, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			// Out of descriptors, say: the instance must live on, as
			// redis-server does, and accept once some are free.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		c := &fakeConn{h: h, m: m, remote: nc.RemoteAddr()}
		// The loop may call c before Add returns; c.added keeps it from
		// using c.conn until it is set (see fakeConn.join).
		c.added.Lock()
		c.conn, err = h.loop.Add(nc, c)
		c.added.Unlock()
		if errors.Is(err, eventloop.ErrClosed) {
			return // the loop has ended
		}
	}
}
