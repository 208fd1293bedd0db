package failover

import (
	"testing"
	"time"
)

// switchedByPeer takes the rig through the old master's objective down
// (both peers said it is down) to a peer's newer configuration naming
// replica 0: the failover another sentinel led, as a follower sees it.
func (r *rig) switchedByPeer() {
	r.t.Helper()
	r.mustEmit(r.masterDies(), "+sdown")
	r.peersSay(true, 0)
	r.mustEmit(r.drain(), "+odown")
	r.advance(100 * time.Millisecond)
	r.m.Hello(Hello{
		Addr: Addr{Host: "10.0.1.1", Port: 26379}, RunID: peerID(0), CurrentEpoch: 1,
		MasterName: r.m.Name, MasterAddr: replicaAddr(0), ConfigEpoch: 1,
	}, r.now)
	r.mustEmit(r.drain(), "+switch-master")
	if r.m.Master.Addr != replicaAddr(0) {
		r.t.Fatalf("master %v after the switch", r.m.Master.Addr)
	}
}

// The peers' answers about the old master are not opinions of the new
// one: a new master we see down within five ask periods of those answers
// is objectively down only once the peers say so of it. (redis-sentinel
// keeps its peers' master_down flags across the switch and counts them:
// one of three loaded sentinels that saw its new masters silent for a
// second declared them objectively down at once, "#quorum 3/2", while
// neither peer saw them down, and started a second failover; the
// 1,000-master benchmark, BENCHMARKS.md.)
func TestPeersOpinionsOfTheOldMasterDoNotCountForTheNew(t *testing.T) {
	r := newRig(t, 2, 2)
	r.switchedByPeer()
	for _, n := range r.m.Nodes() {
		r.answer(n)
	}
	r.drain()
	r.advance(1100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	acts := r.drain()
	r.mustEmit(acts, "+sdown")
	if has(acts, "+odown") {
		t.Fatalf("new master objectively down on the old master's opinions: %v", events(acts))
	}
	r.peersSay(true, 0)
	r.mustEmit(r.drain(), "+odown")
}

// An answer to a question about the old master that arrives after the
// switch is not an opinion of the new master either.
func TestAnswerAboutTheOldMasterAfterTheSwitchIgnored(t *testing.T) {
	r := newRig(t, 2, 2)
	r.mustEmit(r.masterDies(), "+sdown")
	asked := r.m.Master.Addr
	r.m.Hello(Hello{
		Addr: Addr{Host: "10.0.1.1", Port: 26379}, RunID: peerID(0), CurrentEpoch: 1,
		MasterName: r.m.Name, MasterAddr: replicaAddr(0), ConfigEpoch: 1,
	}, r.now)
	r.mustEmit(r.drain(), "+switch-master")
	for _, si := range r.m.SortedPeers() {
		r.m.PeerReply(si, asked, r.now, r.timing, false, true, "*", 0)
	}
	for _, si := range r.m.SortedPeers() {
		if si.Flags&FlagMasterDown != 0 || si.AskBusy {
			t.Fatalf("peer %s: flags %v, ask busy %v after an answer about %v", si.Name, si.Flags, si.AskBusy, asked)
		}
	}
}
