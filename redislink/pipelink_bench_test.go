package redislink

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/eventloop"
)

// countingPeer answers ":1" to every PUBLISH it reads, allocating nothing
// per command, so that a benchmark's allocations are the link's.
func countingPeer(b *testing.B) string {
	return serveEach(b, func(c net.Conn) {
		defer c.Close()
		mark := []byte("$7\r\nPUBLISH\r\n")
		buf := make([]byte, 64<<10)
		out := make([]byte, 0, 64<<10)
		carry := 0 // bytes kept from the last read: a mark may span reads
		for {
			n, err := c.Read(buf[carry:])
			if err != nil {
				return
			}
			data := buf[:carry+n]
			out = out[:0]
			for k := bytes.Count(data, mark); k > 0; k-- {
				out = append(out, ":1\r\n"...)
			}
			if len(out) > 0 {
				c.Write(out)
			}
			carry = copy(buf, data[max(0, len(data)-len(mark)+1):])
			if bytes.Contains(buf[:carry], mark) {
				carry = 0
			}
		}
	})
}

// BenchmarkPeerLinkTick is one tick of a peer link shared by many
// masters: 250 hellos buffered, one flush, every reply back. At 5,000
// masters a peer link carries 2,500 hellos a second.
func BenchmarkPeerLinkTick(b *testing.B) { benchmarkPeerLink(b, 250) }

// BenchmarkPeerLinkBurst is the tick in which every master's hello to a
// peer falls due at once (their publish periods start together): 5,000
// hellos, about 700 KB.
func BenchmarkPeerLinkBurst(b *testing.B) { benchmarkPeerLink(b, 5000) }

// BenchmarkMasterLinkTick is a master's link at a tick: a PING and a
// hello at a time, drained between ticks.
func BenchmarkMasterLinkTick(b *testing.B) { benchmarkPeerLink(b, 2) }

func benchmarkPeerLink(b *testing.B, perTick int) {
	loop, err := eventloop.New()
	if err != nil {
		b.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go loop.Run(ctx)
	l := newPipeLink(ConnOptions{Addr: countingPeer(b), Timeout: 5 * time.Second}, loop, nil)
	defer l.Close()
	payload := "127.0.0.1,26379," + strings.Repeat("a", 40) + ",0,mymaster-0001,127.0.0.1,6379,0"
	args := []any{"PUBLISH", "__sentinel__:hello", payload}
	var wg sync.WaitGroup
	cb := func(any, error) { wg.Done() }
	tick := func() {
		wg.Add(perTick)
		for range perTick {
			l.SendBuffered(0, cb, args...)
		}
		l.Flush()
		wg.Wait()
	}
	tick() // connects
	tick()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tick()
	}
}
