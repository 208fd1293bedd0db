package failover

import (
	"testing"
	"time"
)

// Only a redial to an instance whose last connect was refused is
// budgeted: the first redial after a drop, and one after a connect that
// timed out (a host too busy to accept in time), go out whatever the
// budget, as do a peer's and a connected instance's PINGs.
func TestRedialBudgetCountsOnlyRefusedRedials(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	down := NewNode(KindMaster, "m", Addr{Host: "10.0.0.1", Port: 6379}, now)
	down.Disconnected = true
	up := NewNode(KindReplica, "r", Addr{Host: "10.0.0.2", Port: 6379}, now)
	up.Disconnected = false
	peer := NewNode(KindSentinel, "s", Addr{Host: "10.0.0.3", Port: 26379}, now)
	peer.Disconnected = true

	b := RedialBudget{PerSecond: 10} // two tokens at most
	b.Refill(now)
	for k := range 2 {
		if !b.Allow(down, true) {
			t.Fatalf("refused redial %d not allowed with tokens left", k)
		}
	}
	if b.Allow(down, true) {
		t.Fatal("third refused redial allowed in one tick: the bucket holds a fifth of a second's worth")
	}
	if !b.Allow(down, false) {
		t.Fatal("a redial after a drop or a timed-out connect was budgeted")
	}
	if !b.Allow(up, true) || !b.Allow(peer, true) {
		t.Fatal("a connected instance's or a peer's PING was budgeted")
	}
	b.Refill(now.Add(50 * time.Millisecond)) // half a token
	if b.Allow(down, true) {
		t.Fatal("allowed on half a token")
	}
	b.Refill(now.Add(100 * time.Millisecond))
	if !b.Allow(down, true) {
		t.Fatal("refused on a whole token earned over 100 ms at 10 a second")
	}
	b.Refill(now.Add(time.Hour))
	n := 0
	for b.Allow(down, true) {
		n++
	}
	if n != 2 {
		t.Fatalf("%d redials after an hour's rest, want the ceiling of 2", n)
	}
}

func TestRedialBudgetStartsFullWithoutRefill(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	down := NewNode(KindReplica, "r", Addr{Host: "10.0.0.1", Port: 6379}, now)
	down.Disconnected = true
	var b RedialBudget // the default rate
	n := 0
	for b.Allow(down, true) {
		n++
	}
	if want := DefaultRedialsPerSecond / 5; n != want {
		t.Fatalf("a new budget allowed %d redials, want %d", n, want)
	}
}

// The next tick starts at the first master whose redial was refused, and
// only a tick with a refusal moves it.
func TestRedialBudgetStartsAtFirstRefused(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	down := NewNode(KindMaster, "m", Addr{Host: "10.0.0.1", Port: 6379}, now)
	down.Disconnected = true
	b := RedialBudget{PerSecond: 10} // two tokens at most
	tick := func(at time.Time, n int) []int {
		b.Refill(at)
		from := b.Start(n)
		var order []int
		for k := range n {
			i := (from + k) % n
			order = append(order, i)
			b.Allow(down, true) // each master redials once a tick
			b.Ticked(i)
		}
		return order
	}
	if got := tick(now, 5); got[0] != 0 {
		t.Fatalf("first tick starts at %d, want 0", got[0])
	}
	// Masters 0 and 1 took the two tokens, 2 was the first refused.
	if got := tick(now.Add(time.Millisecond), 5); got[0] != 2 {
		t.Fatalf("tick after refusals from master 2 starts at %d, want 2", got[0])
	}
	b.Refill(now.Add(time.Hour))
	b.Refill(now.Add(time.Hour)) // a tick with no refusal: start stays
	if got := b.Start(5); got != 2 {
		t.Fatalf("a tick without refusals moved the start to %d", got)
	}
	if got := b.Start(2); got != 0 {
		t.Fatalf("start %d beyond the 2 masters left, want 0", got)
	}
}

// A switch closes the master's link at the old address and leaves a new
// replica node there: Successor names it, so a driver can hand on the
// refusal the closed link saw. The promoted replica's address gets none
// (the master's node moved there), nor does a reset that leaves nothing
// at the address.
func TestSuccessorIsTheNodeAtTheClosedLinksAddress(t *testing.T) {
	r := newRig(t, 2, 2)
	promoted := replicaAddr(0)
	r.m.SwitchMaster(promoted, r.now)
	var closes []Action
	for _, a := range r.drain() {
		if a.Kind == CloseLink {
			closes = append(closes, a)
		}
	}
	got := map[Addr]Addr{} // closed link's address -> its successor's
	for _, a := range closes {
		if s := r.m.Successor(a); s != nil {
			if s.Addr != a.From || s.Kind != KindReplica {
				t.Fatalf("successor of the link to %v is %v %v", a.From, s.Kind, s.Addr)
			}
			got[a.From] = s.Addr
		}
	}
	if _, ok := got[masterAddr]; !ok {
		t.Fatalf("no successor for the old master's link (%v): %v", masterAddr, got)
	}
	if _, ok := got[replicaAddr(1)]; !ok {
		t.Fatalf("no successor for the kept replica's link: %v", got)
	}
	if _, ok := got[promoted]; ok {
		t.Fatal("a successor at the promoted replica's address: the master's node is there")
	}
	if len(got) != 2 {
		t.Fatalf("successors %v, want the old master's and the kept replica's", got)
	}

	// SENTINEL RESET forgets the replicas: nothing is at their addresses.
	r = newRig(t, 2, 2)
	r.m.Reset(true, true, r.now)
	for _, a := range r.drain() {
		if s := r.m.Successor(a); s != nil {
			t.Fatalf("a reset without a switch left %v at %v", s.Addr, a.From)
		}
	}
	// A successor already dialled has its own news.
	r = newRig(t, 1, 0)
	r.m.SwitchMaster(replicaAddr(0), r.now)
	acts := r.drain()
	r.m.Replicas[masterAddr.String()].Disconnected = false
	for _, a := range acts {
		if s := r.m.Successor(a); s != nil {
			t.Fatalf("successor %v already connected", s.Addr)
		}
	}
}
