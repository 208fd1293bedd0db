package failover

import (
	"strings"
	"testing"
	"time"
)

// hello delivers peer k's hello naming master at config epoch.
func (r *rig) hello(k int, master Addr, epoch uint64) {
	r.m.Hello(Hello{
		Addr: Addr{Host: "10.0.1.1", Port: 26379 + k}, RunID: peerID(k), CurrentEpoch: epoch,
		MasterName: r.m.Name, MasterAddr: master, ConfigEpoch: epoch,
	}, r.now)
	r.drain()
}

func (r *rig) peer(k int) *Node { return r.m.Sentinels[peerID(k)] }

func (r *rig) agreement() Agreement { return r.m.Agreement(r.now, r.timing) }

func TestAgreementMajority(t *testing.T) {
	r := newRig(t, 1, 2)
	if a := r.agreement(); a.OK() || a.Silent != 2 {
		t.Fatalf("peers that never sent a hello counted: %+v", a)
	}
	r.hello(0, masterAddr, 0)
	a := r.agreement()
	if !a.OK() || a.Agree != 2 || a.Group != 3 || a.Need != 2 || a.Silent != 1 {
		t.Fatalf("2 of 3 agreeing: %+v", a)
	}
	r.hello(1, masterAddr, 0)
	if a := r.agreement(); !a.OK() || a.Agree != 3 {
		t.Fatalf("3 of 3 agreeing: %+v", a)
	}
}

// A peer cut off stops counting within the ping window, though its last
// hello agreed and is still fresh.
func TestAgreementUnreachablePeers(t *testing.T) {
	r := newRig(t, 1, 2)
	r.hello(0, masterAddr, 0)
	r.hello(1, masterAddr, 0)
	pingWin, helloWin := r.m.AgreeWindows(r.timing)
	if pingWin != 500*time.Millisecond || helloWin != 6*time.Second {
		t.Fatalf("windows %v %v, want 500ms (2 pings at down-after/4) and 6s", pingWin, helloWin)
	}
	r.advance(pingWin / 2)
	r.keepAlive(r.peer(0), r.peer(1))
	if a := r.agreement(); !a.OK() {
		t.Fatalf("within the ping window: %+v", a)
	}
	r.advance(pingWin/2 + time.Millisecond)
	a := r.agreement()
	if a.OK() || a.Agree != 1 || a.Unreachable != 2 {
		t.Fatalf("peers silent for more than the ping window still count: %+v", a)
	}
	if got, want := a.String(), "no quorum view: 1 of 3 agree, need 2 (2 unreachable)"; got != want {
		t.Fatalf("reason %q, want %q", got, want)
	}
	// A disconnected link counts as unreachable at once.
	r.answer(r.peer(0))
	r.answer(r.peer(1))
	r.peer(1).Disconnected = true
	if a := r.agreement(); !a.OK() || a.Unreachable != 1 {
		t.Fatalf("one peer back: %+v", a)
	}
}

// Peers that answer PINGs but stopped announcing this master (stale
// hellos) do not count.
func TestAgreementStaleHellos(t *testing.T) {
	r := newRig(t, 1, 2)
	r.hello(0, masterAddr, 0)
	r.hello(1, masterAddr, 0)
	_, helloWin := r.m.AgreeWindows(r.timing)
	r.advance(helloWin + time.Millisecond)
	r.keepAlive()
	a := r.agreement()
	if a.OK() || a.Silent != 2 {
		t.Fatalf("stale hellos counted: %+v", a)
	}
	r.hello(1, masterAddr, 0)
	if a := r.agreement(); !a.OK() {
		t.Fatalf("a fresh hello: %+v", a)
	}
}

// A peer that names another config epoch or another address differs.
func TestAgreementDifferentView(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.ConfigEpoch = 5
	r.hello(0, masterAddr, 4) // behind us: has not learned our configuration
	r.hello(1, masterAddr, 5)
	a := r.agreement()
	if !a.OK() || a.Differ != 1 || a.Agree != 2 {
		t.Fatalf("one old epoch: %+v", a)
	}
	r.hello(1, replicaAddr(0), 5) // same epoch, another master
	if a := r.agreement(); a.OK() || a.Differ != 2 {
		t.Fatalf("two differing views counted: %+v", a)
	}
	// A peer with a newer configuration: we adopt it, so we agree with
	// that peer and the other one now differs.
	r.hello(0, replicaAddr(0), 6)
	if r.m.Master.Addr != replicaAddr(0) || r.m.ConfigEpoch != 6 {
		t.Fatalf("newer configuration not adopted: %v epoch %d", r.m.Master.Addr, r.m.ConfigEpoch)
	}
	if a := r.agreement(); !a.OK() || a.Agree != 2 || a.Differ != 1 {
		t.Fatalf("after adopting: %+v", a)
	}
}

// A sentinel without peers vouches alone only under quorum 1.
func TestAgreementAlone(t *testing.T) {
	r := newRig(t, 1, 0)
	a := r.agreement()
	if a.OK() || !a.Alone || a.Need != 2 {
		t.Fatalf("quorum 2, no peers: %+v", a)
	}
	if !strings.Contains(a.String(), "no peers known") {
		t.Fatalf("reason %q", a.String())
	}
	r.m.Config.Quorum = 1
	if a := r.agreement(); !a.OK() || a.Group != 1 {
		t.Fatalf("quorum 1, no peers: %+v", a)
	}
}

// Adopting a newer configuration from a hello announces it at once, so
// the others' agreement forms in a round trip, not a publish period.
func TestHelloAdoptionAnnounces(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.Hello(Hello{Addr: Addr{Host: "10.0.1.1", Port: 26379}, RunID: peerID(0), CurrentEpoch: 3,
		MasterName: r.m.Name, MasterAddr: replicaAddr(0), ConfigEpoch: 3}, r.now)
	announced := false
	for _, a := range r.drain() {
		announced = announced || a.Kind == Announce
	}
	if !announced {
		t.Fatal("no Announce after adopting a newer configuration")
	}
	p := r.peer(0)
	if p.HelloMaster != replicaAddr(0) || p.HelloConfigEpoch != 3 || !p.At(p.HelloAt).Equal(r.now) {
		t.Fatalf("hello facts not recorded: %+v %d %v", p.HelloMaster, p.HelloConfigEpoch, p.HelloAt)
	}
}
