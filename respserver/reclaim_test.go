package respserver

import (
	"bytes"
	"net"
	"runtime"
	"testing"
	"time"
)

// retained is the heap memory the process keeps from the OS: what it
// took, less what it gave back.
func retained() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapSys - m.HeapReleased
}

// Clients that announce a 60 MB argument and send 5 MB of it hold what
// they sent, and when they leave that memory goes back to the OS within
// a second or two, although nothing allocates afterwards to make the
// garbage collector run.
func TestLargeRequestsMemoryGivenBack(t *testing.T) {
	_, addr := startFakeServer(t, Config{})
	runtime.GC()
	base := retained()
	const clients, sent = 20, 5 << 20
	part := bytes.Repeat([]byte("x"), 1<<20)
	var conns []net.Conn
	for range clients {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		nc.Write([]byte("*2\r\n$4\r\nPING\r\n$62914560\r\n"))
		for range sent / len(part) {
			if _, err := nc.Write(part); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Until the server has read it all, most of it may wait in sockets.
	deadline := time.Now().Add(5 * time.Second)
	for retained() < base+clients*sent*3/4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	peak := retained()
	if peak > base+clients*sent*3/2 {
		t.Errorf("%d clients sending %d MB each: heap grew by %d MB", clients, sent>>20, (peak-base)>>20)
	}
	for _, nc := range conns {
		nc.Close()
	}
	deadline = time.Now().Add(3 * time.Second)
	for retained() > base+16<<20 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if after := retained(); after > base+16<<20 {
		t.Errorf("3s after the clients left, %d MB still kept (idle %d MB, peak %d MB)", after>>20, base>>20, peak>>20)
	}
}

// Many small clients leaving add up to a release, as one large request
// does; a few do not.
func TestReclaimAddsUpClientsLeaving(t *testing.T) {
	r := newReclaimer()
	r.noteExit(clientOverhead)
	if len(r.kick) != 0 {
		t.Fatal("one small client leaving asked for a release")
	}
	for range reclaimThreshold / clientOverhead {
		r.noteExit(clientOverhead)
	}
	if len(r.kick) != 1 {
		t.Fatalf("%d clients of %d bytes left: no release asked", reclaimThreshold/clientOverhead+1, clientOverhead)
	}
	if r.left.Load() >= reclaimThreshold {
		t.Errorf("the count did not start again after the kick: %d", r.left.Load())
	}
}
