package respserver

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A vote's reply waits until the vote is on disk, but the peer's next
// commands are run meanwhile (its hello is applied at once, not one fsync
// later), and the replies leave in order once the save is done.
func TestVoteReplyHeldNextCommandsRun(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	release := make(chan struct{})
	f.mu.Lock()
	f.saved = func() error { <-release; return nil }
	f.mu.Unlock()
	c := dial(t, addr)
	runID := strings.Repeat("a", 40)
	hello := "127.0.0.1,26380," + runID + ",7,mymaster,127.0.0.1,6379,7"
	if _, err := c.nc.Write([]byte(encode("SENTINEL", "is-master-down-by-addr", "127.0.0.1", "6379", "7", runID))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // the hello comes in a later segment
	if _, err := c.nc.Write([]byte(encode("PUBLISH", "__sentinel__:hello", hello))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		f.mu.Lock()
		applied := slices.Contains(f.calls, "ProcessHello "+hello)
		f.mu.Unlock()
		if applied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the hello behind a vote waiting for its save was not applied")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, _ := c.br.Peek(1); len(n) != 0 {
		t.Fatal("a reply left before the vote was saved")
	}
	close(release)
	want := "*3\r\n:0\r\n$40\r\n" + runID + "\r\n:7\r\n"
	if got := c.readReply(); got != want {
		t.Fatalf("vote reply %q, want %q", got, want)
	}
	if got := c.readReply(); !strings.HasPrefix(got, ":") {
		t.Fatalf("PUBLISH reply %q, want an integer after the vote's", got)
	}
}

// A peer that keeps asking for votes (a candidate asks every 100 ms per
// master, and at 200 masters there is always one more) still gets every
// reply within about two saves: each save lets out what it covers. Held
// until no vote came during a save, its PING replies waited for as long as
// it asked, and it marked us subjectively down.
func TestHeldRepliesLeaveWhileVotesKeepComing(t *testing.T) {
	f, addr := startFakeServer(t, Config{})
	const saveTime = 60 * time.Millisecond
	f.mu.Lock()
	f.saved = func() error { time.Sleep(saveTime); return nil }
	f.mu.Unlock()
	c := dial(t, addr)
	runID := strings.Repeat("a", 40)
	vote := []byte(encode("SENTINEL", "is-master-down-by-addr", "127.0.0.1", "6379", "7", runID))
	if _, err := c.nc.Write(append(append([]byte(nil), vote...), encode("PING")...)); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := c.nc.Write(vote); err != nil {
					return
				}
			}
		}
	}()
	defer func() { close(stop); <-done }()
	start := time.Now()
	c.nc.SetReadDeadline(time.Now().Add(2 * time.Second))
	if got := c.readReply(); !strings.HasPrefix(got, "*3\r\n") {
		t.Fatalf("vote reply %q", got)
	}
	if got := c.readReply(); got != "+PONG\r\n" {
		t.Fatalf("PING reply %q, want +PONG", got)
	}
	if waited := time.Since(start); waited > 5*saveTime {
		t.Fatalf("the PING's reply waited %v behind votes that kept coming (a save takes %v)", waited, saveTime)
	}
}
