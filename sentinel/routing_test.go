package sentinel

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// handClock is a clock the test moves.
type handClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *handClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *handClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// verdictRig is a sentinel that is never run: the test feeds it hellos and
// peer replies by hand and asks for verdicts.
type verdictRig struct {
	t     *testing.T
	s     *Sentinel
	clock *handClock
	g     *group
}

func newVerdictRig(t *testing.T) *verdictRig {
	t.Helper()
	clock := &handClock{now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	s, err := New(fastConfig(26379, Addr{Host: "127.0.0.1", Port: 6379}),
		Options{Dialer: redislink.NewFakeNet(), Logger: quiet, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	return &verdictRig{t: t, s: s, clock: clock, g: s.group("mymaster")}
}

func peerRunID(k int) string { return fmt.Sprintf("%040x", k+1) }

// hello delivers peer k's hello naming master at config epoch and marks
// the peer as answering PINGs now.
func (r *verdictRig) hello(k int, master string, epoch uint64) {
	host, port, _ := strings.Cut(master, ":")
	r.s.ProcessHello(fmt.Appendf(nil, "127.0.0.1,%d,%s,%d,mymaster,%s,%s,%d", 26380+k, peerRunID(k), epoch, host, port, epoch))
	r.pong(k)
}

func (r *verdictRig) pong(k int) {
	r.g.mu.Lock()
	defer r.g.mu.Unlock()
	si := r.g.m.Sentinels[peerRunID(k)]
	si.Disconnected = false
	r.g.m.PeerAvail(si, r.clock.Now())
}

func (r *verdictRig) expect(addr string, up bool, reason string) {
	r.t.Helper()
	gotUp, gotReason := r.s.ServerVerdict("mymaster", addr, false, 0)
	if gotUp != up || !strings.Contains(gotReason, reason) {
		r.t.Fatalf("verdict for %s: up=%v %q, want up=%v %q", addr, gotUp, gotReason, up, reason)
	}
}

// The agent vouches for the master only while a majority of the group
// sees it as this sentinel does.
func TestVerdictFailsClosed(t *testing.T) {
	r := newVerdictRig(t)
	const master = "127.0.0.1:6379"
	r.expect(master, false, "no quorum view: 1 of 1 agree, need 2 (no peers known)")
	r.hello(0, master, 0)
	r.hello(1, master, 0)
	r.expect(master, true, "")

	// Stale hellos: both peers answer PINGs but stopped announcing.
	_, helloWin := r.g.m.AgreeWindows(r.s.timing())
	r.clock.advance(helloWin + time.Millisecond)
	r.pong(0)
	r.pong(1)
	r.expect(master, false, "1 of 3 agree, need 2 (2 silent)")
	r.hello(0, master, 0)
	r.expect(master, true, "")

	// Cut off: no PING reply within the ping window.
	pingWin, _ := r.g.m.AgreeWindows(r.s.timing())
	r.clock.advance(pingWin + time.Millisecond)
	r.expect(master, false, "1 of 3 agree, need 2 (2 unreachable)")
	if a, err := r.s.Agreement("mymaster"); err != nil || a.Agree != 1 || a.Unreachable != 2 {
		t.Fatalf("Agreement: %+v %v", a, err)
	}
	r.hello(0, master, 0)
	r.hello(1, master, 0)
	r.expect(master, true, "")
}

// Peers that announce a newer configuration move us with them; a peer
// left behind (an older config epoch) does not count.
func TestVerdictDifferentConfigEpoch(t *testing.T) {
	r := newVerdictRig(t)
	const oldMaster, newMaster = "127.0.0.1:6379", "127.0.0.1:6380"
	r.hello(0, oldMaster, 0)
	r.hello(1, newMaster, 1) // the group failed over; we follow
	r.expect(oldMaster, false, "replica of "+newMaster+" (config epoch 1)")
	r.expect(newMaster, true, "")
	// The peer that told us goes quiet; the other still names epoch 0.
	pingWin, _ := r.g.m.AgreeWindows(r.s.timing())
	r.clock.advance(pingWin + time.Millisecond)
	r.pong(0)
	r.expect(newMaster, false, "no quorum view: 1 of 3 agree, need 2 (1 unreachable, 1 differ)")
	r.hello(0, newMaster, 1)
	r.expect(newMaster, true, "")
}

// The gossip view names the master as a hello does: the promoted replica
// once it took the failover's config epoch, never the old address beside
// the new epoch.
func TestGossipViewNamesCurrentMaster(t *testing.T) {
	r := newVerdictRig(t)
	promoted := Addr{Host: "127.0.0.1", Port: 6380}
	r.g.mu.Lock()
	m := r.g.m
	m.AddReplica(promoted, r.clock.Now())
	m.Replicas[promoted.String()].Flags |= failover.FlagPromoted
	m.Master.Flags |= failover.FlagFailoverInProgress
	m.State = failover.StateReconfSlaves
	m.ConfigEpoch = 1
	m.Ready()
	r.g.mu.Unlock()
	v := r.s.gossipView()
	if len(v.Masters) != 1 {
		t.Fatalf("view %+v", v)
	}
	if mv := v.Masters[0]; mv.Host != promoted.Host || mv.Port != promoted.Port || mv.ConfigEpoch != 1 {
		t.Fatalf("gossip view names %s:%d at epoch %d, want %s at 1", mv.Host, mv.Port, mv.ConfigEpoch, promoted)
	}
}
