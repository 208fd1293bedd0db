package sentinel

import (
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
)

// A peer's reply on the shared connection, read by another group, is
// this group's news of the peer however late its tick comes: under load
// the shared link's replies came more than a ping period apart, the reply
// was passed on only within a ping period of it, and a group whose PINGs
// the other groups sent judged the peer by its own last reply, seconds
// old: healthy peers went subjectively down by the hundred in the middle
// of a 1,000-master failover.
func TestSharedPeerReplyPassedOnLate(t *testing.T) {
	conn := &heldConn{}
	s, g, ctx := driverGroup(t, &countingDialer{conn: conn})
	tm := s.timing()
	now := s.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m.Hello(failover.Hello{Addr: Addr{Host: "127.0.0.1", Port: 26380}, RunID: strings.Repeat("b", 40),
		MasterName: "mymaster", MasterAddr: Addr{Host: "127.0.0.1", Port: 6379}}, now)
	si := g.m.Sentinels[strings.Repeat("b", 40)]
	if si == nil {
		t.Fatal("rig: the peer was not added by its hello")
	}
	i := inst(si)
	g.ensureLink(i)
	pp, down := g.pingPeriod(tm), g.downAfter()
	if pp+20*time.Millisecond >= down {
		t.Fatalf("rig: ping period %v not well under down-after %v", pp, down)
	}
	// This group's own view: connected long ago, its last own reply 2 s
	// old, a PING (another group's, on the shared link) unanswered.
	i.connectedAt = i.Stamp(now.Add(-3 * time.Second))
	si.Disconnected = false
	old := si.Stamp(now.Add(-2 * time.Second))
	si.LastAvail, si.LastPong, si.ActPing = old, old, old
	// Another group read the peer's reply a little more than a ping
	// period ago.
	a := now.Add(-pp - 10*time.Millisecond)
	s.setPeerAvail(i.connKey, a)
	g.sendPeriodic(ctx, i, now, tm)
	if !si.At(si.LastAvail).Equal(a) {
		t.Fatalf("last reply %v ago, want the shared one %v ago", now.Sub(si.At(si.LastAvail)), now.Sub(a))
	}
	g.m.Tick(now, tm)
	if si.Flags&failover.FlagSDown != 0 {
		t.Fatalf("a peer that answered %v ago (down-after %v) is subjectively down", now.Sub(a), down)
	}
	// Silence from then on still counts from that reply.
	later := a.Add(down + 10*time.Millisecond)
	g.sendPeriodic(ctx, i, later, tm)
	g.m.Tick(later, tm)
	if si.Flags&failover.FlagSDown == 0 {
		t.Fatalf("a peer silent for %v since its last reply (down-after %v) is not subjectively down", later.Sub(a), down)
	}
}
