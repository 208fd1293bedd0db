package respserver

import (
	"runtime"
	"strings"
	"testing"
)

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC() // a sync.Pool keeps what it held for one more cycle
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// An idle client holds no input buffer: 500 clients that each sent a
// PING and wait cost some 11 kB of heap each, the test's own end of the
// connection (a 4 kB bufio.Reader) included, not the 31 kB they cost
// when a read blocked holding its 20 kB buffer.
func TestIdleClientsHoldNoInputBuffer(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	const clients = 500
	base := liveHeap()
	conns := make([]*rawConn, clients)
	for i := range conns {
		conns[i] = dial(t, addr)
		if got := conns[i].do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING: %q", got)
		}
	}
	per := (int64(liveHeap()) - int64(base)) / clients
	t.Logf("%d idle clients: %d bytes of heap each", clients, per)
	if per > 16*1024 {
		t.Errorf("an idle client holds %d bytes of heap", per)
	}
	for _, c := range conns { // still served
		if got := c.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING after idling: %q", got)
		}
	}
}

// A subscriber costs what it is sent, not a queue sized for the most
// events it may fall behind by: 300 idle subscribers hold a few
// kilobytes each (the queue of 4096 events made up front took 128 kB).
func TestIdleSubscribersAreSmall(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	const clients = 300
	base := liveHeap()
	for range clients {
		c := dial(t, addr)
		if got := c.do("PSUBSCRIBE", "*"); !strings.Contains(got, "psubscribe") {
			t.Fatalf("PSUBSCRIBE: %q", got)
		}
	}
	per := (int64(liveHeap()) - int64(base)) / clients
	t.Logf("%d idle subscribers: %d bytes of heap each", clients, per)
	if per > 16*1024 {
		t.Errorf("an idle subscriber holds %d bytes of heap", per)
	}
}

// A client that once took a large batch of replies does not keep the
// buffer they took: 50 clients that each read 8 pipelined COMMAND
// replies (66 kB) and then wait hold some 9 kB each (80 kB without).
func TestIdleClientsKeepNoReplyBuffer(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	const clients = 50
	base := liveHeap()
	for range clients {
		c := dial(t, addr)
		c.nc.Write([]byte(strings.Repeat(encode("COMMAND"), 8)))
		for range 8 {
			if got := c.readReply(); !strings.HasPrefix(got, "*15\r\n") {
				t.Fatalf("COMMAND: %.40q", got)
			}
		}
	}
	per := (int64(liveHeap()) - int64(base)) / clients
	t.Logf("%d idle clients after 66 kB of replies each: %d bytes of heap each", clients, per)
	if per > 32*1024 {
		t.Errorf("an idle client holds %d bytes of heap", per)
	}
}
