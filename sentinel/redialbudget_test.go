package sentinel

import (
	"fmt"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// deadFleet is a sentinel watching masters masters with down-after
// downAfter, all on a dead host (connects refused, or timedOut; each
// failure delivered after the tick that dialled, as the event loop
// delivers it), ticked by hand every 100 ms for span; it
// returns the dialer, the masters' addresses and when the ticks began.
func deadFleet(t *testing.T, masters, perSecond int, downAfter, span time.Duration, timedOut bool) (*liveHost, []string, time.Time) {
	t.Helper()
	clock := &handClock{now: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)}
	d := newLiveHost(clock)
	d.allDead, d.timedOut = true, timedOut
	cfg := DefaultConfig()
	cfg.Port = 26379
	var addrs []string
	for k := range masters {
		a := Addr{Host: "127.0.0.1", Port: 7000 + k}
		addrs = append(addrs, a.String())
		cfg.Masters = append(cfg.Masters, MasterState{MasterConfig: MasterConfig{
			Name: fmt.Sprintf("m%03d", k), Addr: a, Quorum: 2, DownAfter: downAfter,
		}})
	}
	s := handStarted(t, cfg, Options{Dialer: d, Logger: quiet, Store: &memStore{}, Clock: clock, RedialsPerSecond: perSecond})
	start := clock.Now()
	var batch redislink.WriteBatch
	for clock.Now().Sub(start) < span {
		s.tick(&batch)
		d.release()
		clock.advance(100 * time.Millisecond)
	}
	return d, addrs, start
}

// Below the budget, a dead host's masters are redialled once a second
// each, as redis-sentinel reconnects: the budget changes nothing there.
// Above it, connects that time out are not budgeted: the host may only be
// too busy to accept, and a live master redialled late is judged down.
func TestRedialsBelowBudgetKeepTheSecond(t *testing.T) {
	t.Run("refused below the budget", func(t *testing.T) { redialledEverySecond(t, false, 0) })
	t.Run("timed out above the budget", func(t *testing.T) { redialledEverySecond(t, true, 5) })
}

func redialledEverySecond(t *testing.T, timedOut bool, perSecond int) {
	d, addrs, start := deadFleet(t, 20, perSecond, time.Second, 10*time.Second, timedOut)
	for _, a := range addrs {
		for s := 3; s < 9; s++ {
			from := start.Add(time.Duration(s) * time.Second)
			if n := pingsIn(d, []string{a}, from, 1300*time.Millisecond); n < 1 {
				t.Fatalf("%s: no redial in the 1.3 s from %d s", a, s)
			}
		}
	}
}

// Once the masters refuse, the sentinel redials them no more than its
// budget allows in any second, and the budget goes round
// all of them: every dead master is still redialled within
// masters/perSecond seconds (plus a tick or two), not the same first few
// every second while the rest are never tried again.
func TestRedialsToDownInstancesShareTheBudget(t *testing.T) {
	const masters, perSecond = 40, 10
	d, addrs, start := deadFleet(t, masters, perSecond, time.Second, 20*time.Second, false)
	for s := 3; s < 19; s++ {
		total := pingsIn(d, addrs, start.Add(time.Duration(s)*time.Second), time.Second)
		// The bucket holds a fifth of a second's worth on top.
		if total > perSecond+perSecond/5 {
			t.Fatalf("%d redials in the second from %d s, budget %d a second", total, s, perSecond)
		}
		if total < perSecond/2 {
			t.Fatalf("only %d redials in the second from %d s: the budget of %d is not used", total, s, perSecond)
		}
	}
	round := time.Duration(masters/perSecond)*time.Second + 500*time.Millisecond
	for _, a := range addrs {
		for from := start.Add(3 * time.Second); from.Add(round).Before(start.Add(20 * time.Second)); from = from.Add(time.Second) {
			if pingsIn(d, []string{a}, from, round) == 0 {
				t.Fatalf("%s not redialled in the %v from %v: the budget does not go round every master", a, round, from.Sub(start))
			}
		}
	}
}

// The budget binds from the first refused connect, before the instance
// is judged down: a refusal says the process is gone. At 4,990 dead
// masters, budgeting only those already down left the loops so far
// behind that the masters were judged down tens of seconds late, so the
// budget never began. Here down-after is 30 s: no master is down in the
// test.
func TestRedialsBudgetedBeforeDown(t *testing.T) {
	const masters, perSecond = 40, 10
	d, addrs, start := deadFleet(t, masters, perSecond, 30*time.Second, 10*time.Second, false)
	if first := pingsIn(d, addrs, start, 200*time.Millisecond); first != masters {
		t.Fatalf("%d first PINGs in the first tick, want one to each of %d masters: the first dial is not budgeted", first, masters)
	}
	for s := 2; s < 9; s++ {
		total := pingsIn(d, addrs, start.Add(time.Duration(s)*time.Second), time.Second)
		if total > perSecond+perSecond/5 {
			t.Fatalf("%d redials in the second from %d s to masters not yet down, after refused ones; budget %d a second", total, s, perSecond)
		}
	}
}

// A closed link's next connect is a first dial, maybe to a new address
// (a switch keeps the master's instance and closes its link): it goes out
// at the usual pace, neither paced as a redial nor budgeted as a refused
// one. Carried over, a master promoted at a new address waited behind a
// thousand refused old masters' redials until the sentinels judged it
// down and failed it over again (the 1,000-master benchmark).
func TestClosedLinkDialsAfreshEvenWithTheBudgetSpent(t *testing.T) {
	s, g, ctx, conn, _, i := parkRig(t)
	tm := s.timing()
	s.redialMu.Lock()
	s.redials.PerSecond = 5 // one token
	s.redials.Refill(s.clock.Now())
	s.redialMu.Unlock()
	g.mu.Lock()
	i.Disconnected, i.redialing, i.refused = true, true, true
	spent := s.allowRedial(i.Node, true) && !s.allowRedial(i.Node, true)
	g.closeLink(i)
	g.ensureLink(i)
	before := conn.pings()
	g.sendPeriodic(ctx, i, s.clock.Now().Add(g.pingPeriod(tm)+time.Millisecond), tm)
	g.mu.Unlock()
	if !spent {
		t.Fatal("rig: the budget was not spent")
	}
	if conn.pings() != before+1 {
		t.Fatal("no PING on the new link a PING period after the last answer: paced or budgeted as a redial of the old link")
	}
}

// pingsIn is how many PINGs went to addrs in [from, from+d).
func pingsIn(h *liveHost, addrs []string, from time.Time, d time.Duration) int {
	n := 0
	for _, a := range addrs {
		for _, at := range h.times(a, "PING") {
			if !at.Before(from) && at.Before(from.Add(d)) {
				n++
			}
		}
	}
	return n
}

// The replica entry a switch leaves at the old master's address is
// dialled within the budget when the master's link had just been refused
// there (failover.Machine.Successor): the port refused a moment ago. When
// the old master's link was not refused (a timed-out connect, a live
// old master), the entry is dialled at once, as any new instance.
func TestSwitchHandsTheRefusalToTheOldAddress(t *testing.T) {
	for _, refused := range []bool{true, false} {
		d := &freshDialer{}
		s, g, ctx := driverGroup(t, d)
		tm := s.timing()
		g.mu.Lock()
		m := g.master
		g.ensureLink(m)
		m.Disconnected, m.refused = true, refused
		s.redialMu.Lock()
		s.redials.PerSecond = 5 // one token, spent here
		s.redials.Refill(s.clock.Now())
		spent := s.redials.Allow(m.Node, true) && !s.redials.Allow(m.Node, true)
		s.redialMu.Unlock()
		old := m.Addr
		g.m.SwitchMaster(Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
		g.apply()
		r := g.m.Replicas[old.String()]
		ri := inst(r)
		g.ensureLink(ri)
		g.sendPeriodic(ctx, ri, s.clock.Now(), tm)
		pinged := len(d.last().sent) > 0
		g.mu.Unlock()
		if !spent {
			t.Fatal("rig: the budget was not spent")
		}
		if refused && pinged {
			t.Fatal("the old master's address, refused a moment ago, dialled at once with the budget spent")
		}
		if !refused && !pinged {
			t.Fatal("the old master's address not dialled at once: its link was not refused")
		}
	}
}
