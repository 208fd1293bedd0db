package failover

import (
	"strings"
	"testing"
	"time"
)

func hello(runID string, port int, epoch uint64, master Addr, configEpoch uint64) Hello {
	return Hello{Addr: Addr{Host: "10.0.1.1", Port: port}, RunID: runID, CurrentEpoch: epoch,
		MasterName: "mymaster", MasterAddr: master, ConfigEpoch: configEpoch}
}

func TestHelloNewerConfigSwitchesMaster(t *testing.T) {
	r := newRig(t, 2, 2)
	res := r.m.Hello(hello(peerID(0), 26379, 3, replicaAddr(1), 3), r.now)
	if res.Moved || res.Obsolete != "" {
		t.Fatalf("result %+v", res)
	}
	acts := r.drain()
	r.mustEmit(acts, "+new-epoch", "+config-update-from", "+switch-master")
	if r.m.Master.Addr != replicaAddr(1) || r.m.ConfigEpoch != 3 || r.m.env.Epochs.Current() != 3 {
		t.Fatalf("master %v config epoch %d", r.m.Master.Addr, r.m.ConfigEpoch)
	}
	cr := ofKind(acts, ClientReconfig)
	if len(cr) != 1 || cr[0].Role != "observer" || cr[0].From != masterAddr || cr[0].To != replicaAddr(1) {
		t.Fatalf("observer reconfig: %+v", cr)
	}
	// An older configuration changes nothing.
	r.m.Hello(hello(peerID(1), 26380, 3, masterAddr, 2), r.now)
	if r.m.Master.Addr != replicaAddr(1) || has(r.drain(), "+switch-master") {
		t.Fatal("older configuration applied")
	}
}

func TestHelloPeersMoveAndRestart(t *testing.T) {
	r := newRig(t, 1, 2)
	// A new peer.
	r.m.Hello(hello(peerID(5), 26390, 0, masterAddr, 0), r.now)
	acts := r.drain()
	r.mustEmit(acts, "+sentinel")
	if len(ofKind(acts, Announce)) != 1 || r.m.Sentinels[peerID(5)] == nil {
		t.Fatal("new peer not learned or not answered")
	}
	// The same run id at another address: it moved.
	res := r.m.Hello(hello(peerID(5), 26391, 0, masterAddr, 0), r.now)
	acts = r.drain()
	if !res.Moved || r.m.Sentinels[peerID(5)].Addr.Port != 26391 || has(acts, "+sentinel") {
		t.Fatalf("move: %+v %v", res, events(acts))
	}
	r.mustEmit(acts, "+sentinel-address-switch")
	// A new run id at a known address: the old one restarted.
	res = r.m.Hello(hello(peerID(6), 26391, 0, masterAddr, 0), r.now)
	acts = r.drain()
	if res.Obsolete != peerID(5) || r.m.Sentinels[peerID(5)] != nil || r.m.Sentinels[peerID(6)] == nil {
		t.Fatalf("restart: %+v", res)
	}
	r.mustEmit(acts, "+sentinel-invalid-addr", "+sentinel")
	// Other masters follow through ForgetPeer.
	moved := Addr{Host: "10.0.1.9", Port: 1}
	r.m.ForgetPeer(peerID(6), &moved)
	if r.m.Sentinels[peerID(6)].Addr != moved || len(ofKind(r.drain(), CloseLink)) != 1 {
		t.Fatal("peer not moved")
	}
	r.m.ForgetPeer(peerID(6), &moved) // already there: nothing
	r.m.ForgetPeer(peerID(6), nil)
	if r.m.Sentinels[peerID(6)] != nil {
		t.Fatal("peer not forgotten")
	}
	r.m.ForgetPeer("unknown", nil)
	for _, n := range r.m.Nodes() {
		if n.RunID == peerID(6) {
			t.Fatal("forgotten peer still in the cached order")
		}
	}
}

func TestReplicaTurnedMasterIsConverted(t *testing.T) {
	r := newRig(t, 1, 2)
	rep := r.m.SortedReplicas()[0]
	r.info(rep, promotedInfoText())
	acts := r.drain()
	r.mustEmit(acts, "-role-change")
	if len(ofKind(acts, SlaveOf)) != 0 {
		t.Fatal("converted before newer configurations could arrive")
	}
	r.advance(4*r.timing.PublishPeriod + time.Millisecond)
	r.keepAlive()
	r.info(r.m.Master, masterInfoText(r.m))
	r.info(rep, promotedInfoText())
	acts = r.drain()
	r.mustEmit(acts, "+convert-to-slave")
	if so := ofKind(acts, SlaveOf); len(so) != 1 || so[0].To != masterAddr {
		t.Fatalf("convert: %+v", so)
	}
}

func TestReplicaOfWrongMasterIsFixed(t *testing.T) {
	r := newRig(t, 1, 2)
	rep := r.m.SortedReplicas()[0]
	wrong := Addr{Host: "10.9.9.9", Port: 1}
	r.info(rep, replicaInfoText(wrong, true, 100))
	if has(r.drain(), "+fix-slave-config") {
		t.Fatal("fixed before the failover timeout")
	}
	r.advance(r.m.FailoverTimeout(r.timing) + time.Millisecond)
	r.keepAlive()
	r.info(r.m.Master, masterInfoText(r.m))
	r.info(rep, replicaInfoText(wrong, true, 100))
	acts := r.drain()
	r.mustEmit(acts, "+fix-slave-config")
	// In TILT, facts are recorded and nothing is done.
	r.advance(r.m.FailoverTimeout(r.timing) + time.Millisecond)
	r.keepAlive()
	r.info(r.m.Master, masterInfoText(r.m))
	text := replicaInfoText(wrong, true, 100)
	r.m.Info(rep, r.now, r.timing, true, text, ParseInfo(text))
	if has(r.drain(), "+fix-slave-config") {
		t.Fatal("acted in TILT")
	}
}

func TestRebootAndMasterRebootDown(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.Config.RebootDownAfter = time.Second
	text := strings.Replace(masterInfoText(r.m), strings.Repeat("a", 40), strings.Repeat("b", 40), 1)
	r.info(r.m.Master, text)
	r.mustEmit(r.drain(), "+reboot")
	if r.m.Master.Flags&FlagMasterReboot == 0 {
		t.Fatal("no reboot flag")
	}
	r.advance(1100 * time.Millisecond)
	r.m.PingSent(r.m.Master, r.now)
	r.m.PingReply(r.m.Master, r.now, "LOADING")
	r.tick()
	r.mustEmit(r.drain(), "+sdown")
	r.m.PingReply(r.m.Master, r.now, "PONG")
	if r.m.Master.Flags&FlagMasterReboot != 0 {
		t.Fatal("PONG did not clear the reboot flag")
	}
	r.tick()
	r.mustEmit(r.drain(), "-sdown")
}

func TestBusyScriptKilledOnce(t *testing.T) {
	r := newRig(t, 1, 2)
	r.masterDies()
	if r.m.PingReply(r.m.Master, r.now, "BUSY Redis is busy running a script") {
		t.Fatal("BUSY counted as available")
	}
	r.m.PingReply(r.m.Master, r.now, "BUSY Redis is busy running a script")
	if k := ofKind(r.drain(), ScriptKill); len(k) != 1 {
		t.Fatalf("SCRIPT KILL sent %d times", len(k))
	}
}

func TestPeerFactsAndGossip(t *testing.T) {
	r := newRig(t, 1, 2)
	asks := ofKind(r.masterDies(), Ask)
	if len(asks) != 2 {
		t.Fatalf("%d asks", len(asks))
	}
	for _, a := range asks {
		if !a.Node.AskBusy {
			t.Fatal("ask not marked busy")
		}
		r.m.PeerAskFailed(a.Node)
	}
	r.advance(100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	if len(ofKind(r.drain(), Ask)) != 2 {
		t.Fatal("failed asks not retried")
	}
	// Gossip opinions count like answers.
	// (One about another address is no opinion of this master.)
	for _, si := range r.m.SortedPeers() {
		r.m.PeerOpinion(si, replicaAddr(0), r.now, r.timing, false, true)
	}
	if acts := r.drain(); has(acts, "+odown") {
		t.Fatalf("+odown on opinions about another address: %v", events(acts))
	}
	for _, si := range r.m.SortedPeers() {
		r.m.PeerOpinion(si, r.m.Master.Addr, r.now, r.timing, false, true)
	}
	r.mustEmit(r.drain(), "+odown", "+try-failover")
	// A shared link's PONG answers for this master's view of the peer.
	si := r.m.SortedPeers()[0]
	r.m.PeerAvail(si, r.now)
	if !si.At(si.LastAvail).Equal(r.now) || !si.ActPing.IsZero() {
		t.Fatal("PeerAvail not recorded")
	}
}

// A reply read on the shared peer link reaches a view whenever it is
// newer than the view's last, however late; only a recent one counts the
// link up again, and one from before the view took the link not at all.
func TestSharedPeerReply(t *testing.T) {
	r := newRig(t, 1, 1)
	si := r.m.SortedPeers()[0]
	pp := r.m.PingPeriod(r.timing)
	since := r.now
	r.advance(3 * time.Second)
	old := r.now.Add(-2 * pp)
	if up := r.m.SharedPeerReply(si, old, since, r.now, r.timing); up || !si.At(si.LastAvail).Equal(old) {
		t.Fatalf("a reply %v old: link up %v, last reply %v ago; want taken, link not up", 2*pp, up, r.now.Sub(si.At(si.LastAvail)))
	}
	recent := r.now.Add(-pp / 2)
	if up := r.m.SharedPeerReply(si, recent, since, r.now, r.timing); !up || !si.At(si.LastAvail).Equal(recent) {
		t.Fatalf("a recent reply: link up %v, last reply %v ago", up, r.now.Sub(si.At(si.LastAvail)))
	}
	if up := r.m.SharedPeerReply(si, old, since, r.now, r.timing); up || !si.At(si.LastAvail).Equal(recent) {
		t.Fatal("an older reply replaced a newer one")
	}
	// The view took a new link after a newer reply was read on the old.
	newer := recent.Add(time.Millisecond)
	if up := r.m.SharedPeerReply(si, newer, newer.Add(time.Millisecond), r.now, r.timing); up || !si.At(si.LastAvail).Equal(recent) {
		t.Fatal("a reply from before the view took the link was taken")
	}
}

func TestResetAndAddReplica(t *testing.T) {
	r := newRig(t, 2, 2)
	r.m.AddReplica(replicaAddr(0), r.now) // known: nothing
	r.m.AddReplica(replicaAddr(7), r.now)
	r.mustEmit(r.drain(), "+slave")
	if len(r.m.Replicas) != 3 || len(r.m.SortedReplicas()) != 3 {
		t.Fatal("replica not added")
	}
	r.m.Reset(true, true, r.now)
	acts := r.drain()
	r.mustEmit(acts, "+reset-master")
	if len(r.m.Replicas) != 0 || len(r.m.Sentinels) != 2 || len(ofKind(acts, CloseLink)) != 4 {
		t.Fatalf("reset kept replicas or dropped peers: %d %d", len(r.m.Replicas), len(r.m.Sentinels))
	}
	r.m.Reset(false, false, r.now)
	if len(r.m.Sentinels) != 0 || len(r.m.Nodes()) != 1 || has(r.drain(), "+reset-master") {
		t.Fatal("full reset")
	}
}

func TestNamesAndDefaults(t *testing.T) {
	for k, want := range map[Kind]string{KindMaster: "master", KindReplica: "slave", KindSentinel: "sentinel"} {
		if k.String() != want {
			t.Errorf("%d: %s", k, k)
		}
	}
	states := []string{"none", "wait_start", "select_slave", "send_slaveof_noone", "wait_promotion", "reconf_slaves", "update_config"}
	for k, want := range states {
		if State(k).String() != want {
			t.Errorf("state %d: %s", k, State(k))
		}
	}
	if State(99).String() != "unknown" {
		t.Error("unknown state")
	}
	m := New("m", Config{}, Persisted{Addr: masterAddr}, &Env{MyID: me, Epochs: NewEpochs(0)}, t0)
	tm := DefaultTiming()
	if m.DownAfter(tm) != tm.DefaultDownAfter || m.FailoverTimeout(tm) != tm.DefaultFailoverTimeout || m.ParallelSyncs() != 1 {
		t.Error("defaults")
	}
	if !m.sameHost("a", "a") || m.sameHost("a", "b") || m.jitter(time.Second) != 0 {
		t.Error("env defaults")
	}
	if m.HasReady() {
		t.Error("actions from nothing")
	}
}

// The vote request of an attempt that has just begun goes out at once,
// even to a peer whose opinion question is still unanswered (it travels
// on the vote link), and only once: the next ones wait for an answer.
func TestVoteAskedBesideAnOpinionInFlight(t *testing.T) {
	r := newRig(t, 1, 2)
	asks := ofKind(r.masterDies(), Ask)
	if len(asks) != 2 {
		t.Fatalf("%d opinion questions", len(asks))
	}
	for _, a := range asks {
		if a.RunID != "*" || !a.Node.AskBusy {
			t.Fatalf("first question %q, busy %v", a.RunID, a.Node.AskBusy)
		}
	}
	// The peers' gossip says down before their answers come: the
	// attempt begins with both questions still in flight.
	r.advance(10 * time.Millisecond)
	for _, si := range r.m.SortedPeers() {
		r.m.PeerOpinion(si, r.m.Master.Addr, r.now, r.timing, false, true)
	}
	acts := r.drain()
	r.mustEmit(acts, "+odown", "+try-failover")
	votes := ofKind(acts, Ask)
	if len(votes) != 2 {
		t.Fatalf("%d vote requests at the attempt's start, want 2 beside the questions in flight", len(votes))
	}
	for _, a := range votes {
		if a.RunID != me || a.Epoch != r.m.FailoverEpoch {
			t.Fatalf("vote request %q epoch %d, attempt epoch %d", a.RunID, a.Epoch, r.m.FailoverEpoch)
		}
	}
	// Nothing more is asked while the questions are unanswered.
	r.advance(200 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	if n := len(ofKind(r.drain(), Ask)); n != 0 {
		t.Fatalf("%d more questions with both unanswered", n)
	}
}
