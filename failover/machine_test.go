package failover

import (
	"github.com/qsentinel/qsentinel/event"
	"testing"
	"time"
)

// masterDies stops the master answering and ticks past down-after.
func (r *rig) masterDies() []Action {
	r.advance(1100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	return r.drain()
}

// elect takes the rig from a dead master to our election in epoch 1.
func (r *rig) elect() []Action {
	r.t.Helper()
	acts := r.masterDies()
	r.mustEmit(acts, "+sdown")
	if asks := ofKind(acts, Ask); len(asks) != len(r.m.Sentinels) || asks[0].RunID != "*" {
		r.t.Fatalf("asks at +sdown: %+v", asks)
	}
	r.peersSay(true, 0)
	acts = r.drain()
	r.mustEmit(acts, "+odown", "+new-epoch", "+try-failover", "+vote-for-leader")
	if r.m.State != StateWaitStart || r.m.FailoverEpoch != 1 {
		r.t.Fatalf("state %v epoch %d", r.m.State, r.m.FailoverEpoch)
	}
	votes := make([]string, len(r.m.Sentinels))
	for k := range votes {
		votes[k] = me
	}
	r.peersSay(true, 1, votes...)
	acts = r.drain()
	r.mustEmit(acts, "+elected-leader", "+failover-state-select-slave", "+selected-slave", "+failover-state-wait-promotion")
	return acts
}

func TestFailoverEveryState(t *testing.T) {
	r := newRig(t, 2, 2)
	acts := r.elect()
	so := ofKind(acts, SlaveOf)
	if len(so) != 1 || so[0].Node.Addr != replicaAddr(0) || so[0].To != (Addr{}) {
		t.Fatalf("SLAVEOF NO ONE: %+v", so)
	}
	if r.m.State != StateWaitPromotion {
		t.Fatalf("state %v", r.m.State)
	}
	// Waiting: the replica is polled at tick rate.
	r.advance(100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	if ri := ofKind(r.drain(), RefreshInfo); len(ri) == 0 || ri[len(ri)-1].Node.Addr != replicaAddr(0) {
		t.Fatalf("promoted replica not polled: %+v", ri)
	}
	p := r.m.Replicas[replicaAddr(0).String()]
	r.info(p, promotedInfoText())
	acts = r.drain()
	r.mustEmit(acts, "+promoted-slave", "+failover-state-reconf-slaves", "+slave-reconf-sent")
	if r.m.ConfigEpoch != 1 || r.m.State != StateReconfSlaves {
		t.Fatalf("after promotion: config epoch %d state %v", r.m.ConfigEpoch, r.m.State)
	}
	if r.m.CurrentMasterAddr() != replicaAddr(0) {
		t.Fatalf("current master %v", r.m.CurrentMasterAddr())
	}
	cr := ofKind(acts, ClientReconfig)
	if len(cr) != 1 || cr[0].Role != "leader" || cr[0].From != masterAddr || cr[0].To != replicaAddr(0) {
		t.Fatalf("client reconfig: %+v", cr)
	}
	so = ofKind(acts, SlaveOf)
	if len(so) != 1 || so[0].Node.Addr != replicaAddr(1) || so[0].To != replicaAddr(0) {
		t.Fatalf("reconf: %+v", so)
	}
	other := r.m.Replicas[replicaAddr(1).String()]
	r.info(other, replicaInfoText(replicaAddr(0), true, 100))
	r.mustEmit(r.drain(), "+slave-reconf-inprog", "+slave-reconf-done")
	r.advance(100 * time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	acts = r.drain()
	r.mustEmit(acts, "+failover-end", "+switch-master")
	var sw event.Event
	for _, a := range acts {
		if a.Kind == Emit && a.Event.Kind == event.SwitchMaster {
			sw = a.Event
		}
	}
	if sw.From != event.Addr(masterAddr) || sw.To != event.Addr(replicaAddr(0)) || sw.Payload() != "mymaster 10.0.0.1 6379 10.0.0.2 6380" {
		t.Fatalf("+switch-master %v -> %v", sw.From, sw.To)
	}
	if r.m.Master.Addr != replicaAddr(0) || r.m.State != StateNone || r.m.InProgress() {
		t.Fatalf("after switch: master %v state %v", r.m.Master.Addr, r.m.State)
	}
	if _, ok := r.m.Replicas[masterAddr.String()]; !ok || len(r.m.Replicas) != 2 {
		t.Fatalf("old master is not a replica: %v", r.m.Replicas)
	}
	if len(ofKind(r.acts, Persist)) == 0 {
		t.Fatal("nothing persisted")
	}
}

func TestMinorityNeverFailsOver(t *testing.T) {
	r := newRig(t, 1, 2)
	r.masterDies()
	r.peersSay(false, 0)
	for k := 0; k < 30; k++ {
		r.advance(100 * time.Millisecond)
		r.keepAlive(r.m.Master)
		r.tick()
		r.peersSay(false, 0)
	}
	acts := r.drain()
	if has(acts, "+odown") || has(acts, "+try-failover") || r.m.InProgress() {
		t.Fatalf("failover without agreement: %v", events(acts))
	}
}

func TestNotElectedAborts(t *testing.T) {
	r := newRig(t, 1, 2)
	r.masterDies()
	r.peersSay(true, 0)
	other := peerID(0)
	r.peersSay(true, 1, other, other)
	if r.m.State != StateWaitStart {
		t.Fatalf("state %v", r.m.State)
	}
	r.drain()
	r.advance(r.timing.ElectionTimeout + time.Second)
	r.keepAlive(r.m.Master)
	r.tick()
	acts := r.drain()
	r.mustEmit(acts, "-failover-abort-not-elected")
	if r.m.InProgress() || r.m.State != StateNone {
		t.Fatalf("still in progress: %v", r.m.State)
	}
	// No new attempt before twice the failover timeout.
	r.advance(time.Second)
	r.keepAlive(r.m.Master)
	r.tick()
	r.peersSay(true, 1, other, other)
	if has(r.drain(), "+try-failover") {
		t.Fatal("retried before twice the failover timeout")
	}
}

func TestSplitVoteStartsNewRound(t *testing.T) {
	r := newRig(t, 1, 2)
	r.masterDies()
	r.peersSay(true, 0)
	r.drain()
	// We voted for ourselves; the peers each for another candidate.
	r.peersSay(true, 1, peerID(0), peerID(1))
	r.advance(reelectMin + reelectSpread)
	r.keepAlive(r.m.Master)
	r.tick()
	acts := r.drain()
	r.mustEmit(acts, "+new-epoch")
	if r.m.FailoverEpoch != 2 || r.m.LeaderEpoch != 2 || r.m.Leader != me {
		t.Fatalf("new round: epoch %d, vote %s in %d", r.m.FailoverEpoch, r.m.Leader, r.m.LeaderEpoch)
	}
	asks := ofKind(acts, Ask)
	if len(asks) != 2 || asks[0].Epoch != 2 || asks[0].RunID != me {
		t.Fatalf("asks in the new round: %+v", asks)
	}
	r.peersSay(true, 2, me, peerID(1))
	r.mustEmit(r.drain(), "+elected-leader")
}

func TestVoteOncePerEpoch(t *testing.T) {
	r := newRig(t, 1, 2)
	b, changed := r.m.Vote(5, peerID(0), r.now)
	if !changed || b.Leader != peerID(0) || b.LeaderEpoch != 5 || r.m.env.Epochs.Current() != 5 {
		t.Fatalf("first vote: %+v changed=%v epoch=%d", b, changed, r.m.env.Epochs.Current())
	}
	if !r.m.At(r.m.FailoverStartTime).Equal(r.now) {
		t.Fatal("voting for another did not delay our own attempt")
	}
	b, changed = r.m.Vote(5, peerID(1), r.now)
	if changed || b.Leader != peerID(0) {
		t.Fatalf("second vote in epoch 5 went to %s (changed=%v)", b.Leader, changed)
	}
	b, _ = r.m.Vote(4, peerID(1), r.now)
	if b.Leader != peerID(0) || b.LeaderEpoch != 5 {
		t.Fatalf("vote in an older epoch: %+v", b)
	}
	r.m.ConfigEpoch = 7
	if b, _ = r.m.Vote(6, peerID(1), r.now); b.LeaderEpoch != 5 {
		t.Fatalf("vote behind the configuration epoch: %+v", b)
	}
	acts := r.drain()
	r.mustEmit(acts, "+new-epoch", "+vote-for-leader")
	// The driver saves a peer's vote itself, synchronously, before it
	// answers: a Persist action too would have the save loop write it
	// again while the answer waits (50 masters' elections took twice as
	// long).
	if p := ofKind(acts, Persist); len(p) != 0 {
		t.Fatalf("a peer's vote decided %d Persist actions", len(p))
	}
}

func TestNoGoodReplicaAborts(t *testing.T) {
	r := newRig(t, 1, 2)
	rep := r.m.SortedReplicas()[0]
	rep.SlavePriority = 0
	if err := r.m.CanFailover(r.now, r.timing); err != ErrNoGoodReplica {
		t.Fatalf("CanFailover = %v", err)
	}
	r.masterDies()
	r.peersSay(true, 0)
	r.peersSay(true, 1, me, me)
	acts := r.drain()
	if r.m.State != StateSelectSlave || len(ofKind(acts, RefreshInfo)) == 0 {
		t.Fatalf("no wait for fresh INFO: %v", r.m.State)
	}
	r.advance(SelectGrace + time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	r.mustEmit(r.drain(), "-failover-abort-no-good-slave")
	if r.m.InProgress() {
		t.Fatal("still in progress")
	}
}

func TestPromotionTimeoutAborts(t *testing.T) {
	r := newRig(t, 2, 2)
	r.elect()
	r.advance(r.m.FailoverTimeout(r.timing) + time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	r.mustEmit(r.drain(), "-failover-abort-slave-timeout")
	if r.m.Promoted() != nil || r.m.InProgress() {
		t.Fatal("promotion flag kept after abort")
	}
}

func TestDisconnectedPromotedReplicaTimesOut(t *testing.T) {
	r := newRig(t, 1, 2)
	r.masterDies()
	r.peersSay(true, 0)
	rep := r.m.SortedReplicas()[0]
	rep.Disconnected = true // drops between selection and SLAVEOF
	r.m.State = StateSendSlaveofNoOne
	rep.Flags |= FlagPromoted
	r.m.Master.Flags |= FlagFailoverInProgress
	r.m.FailoverStateSince = r.m.Stamp(r.now)
	r.tick()
	if len(ofKind(r.drain(), SlaveOf)) != 0 {
		t.Fatal("SLAVEOF sent to a disconnected replica")
	}
	r.advance(r.m.FailoverTimeout(r.timing) + time.Millisecond)
	r.tick()
	r.mustEmit(r.drain(), "-failover-abort-slave-timeout")
}

func TestReconfTimeoutsAndEndForTimeout(t *testing.T) {
	r := newRig(t, 4, 2)
	r.m.Config.ParallelSyncs = 2
	r.m.Config.FailoverTimeout = time.Minute
	r.elect()
	p := r.m.Replicas[replicaAddr(0).String()]
	r.info(p, promotedInfoText())
	if so := ofKind(r.drain(), SlaveOf); len(so) != 2 {
		t.Fatalf("parallel-syncs 2 sent %d", len(so))
	}
	// The first follows, the second never does: after the reconf
	// timeout it counts as done, and the third is sent.
	r.advance(r.timing.SlaveReconfTimeout + time.Millisecond)
	r.info(r.m.Replicas[replicaAddr(1).String()], replicaInfoText(replicaAddr(0), true, 100))
	r.keepAlive(r.m.Master)
	r.tick()
	acts := r.drain()
	r.mustEmit(acts, "+slave-reconf-done", "-slave-reconf-sent-timeout", "+slave-reconf-sent")
}

func TestFailoverEndsForTimeout(t *testing.T) {
	r := newRig(t, 3, 2)
	r.m.Config.ParallelSyncs = 1
	r.elect()
	r.info(r.m.Replicas[replicaAddr(0).String()], promotedInfoText())
	r.drain()
	// One replica in progress, one waiting its turn: the failover timeout
	// ends it, pointing the waiting one at the new master at once.
	r.advance(r.m.FailoverTimeout(r.timing) + time.Millisecond)
	r.keepAlive(r.m.Master)
	r.tick()
	acts := r.drain()
	r.mustEmit(acts, "+failover-end-for-timeout", "+failover-end", "+slave-reconf-sent-be", "+switch-master")
	be := ofKind(acts, SlaveOf)
	if len(be) != 1 || be[0].Node.Addr != replicaAddr(2) || be[0].To != replicaAddr(0) {
		t.Fatalf("best-effort reconf: %+v", be)
	}
}

func TestUserFailoverIsForced(t *testing.T) {
	r := newRig(t, 1, 2)
	if err := r.m.UserFailover(r.now, r.timing, true); err != nil {
		t.Fatal(err)
	}
	acts := r.drain()
	r.mustEmit(acts, "+new-epoch", "+try-failover", "+elected-leader", "+selected-slave")
	if len(ofKind(acts, SlaveOf)) != 1 {
		t.Fatal("no SLAVEOF NO ONE")
	}
	if err := r.m.UserFailover(r.now, r.timing, true); err != ErrInProgress {
		t.Fatalf("second user failover: %v", err)
	}
}

func TestSwitchoverUsesFailoverTo(t *testing.T) {
	r := newRig(t, 1, 2)
	if err := r.m.Switchover(r.now, r.timing, true); err != nil {
		t.Fatal(err)
	}
	acts := r.drain()
	if len(ofKind(acts, Ask)) != 2 || r.m.Master.Flags&FlagSDown == 0 || !r.m.Coordinated {
		t.Fatalf("switchover start: %v", events(acts))
	}
	if !r.m.HelloBlocked(r.m.Master) {
		t.Fatal("hello to a pausing master not held back")
	}
	r.peersSay(true, 1, me, me)
	acts = r.drain()
	ft := ofKind(acts, FailoverTo)
	if len(ft) != 1 || ft[0].To != replicaAddr(0) || ft[0].TimeoutMs <= 0 || len(ofKind(acts, SlaveOf)) != 0 {
		t.Fatalf("FAILOVER TO: %+v", ft)
	}
	r.info(r.m.Replicas[replicaAddr(0).String()], promotedInfoText())
	acts = r.drain()
	if len(ofKind(acts, KillClients)) != 1 {
		t.Fatalf("old master's clients not released: %v", events(acts))
	}
	r.mustEmit(acts, "+switch-master")
}

func TestSwitchoverAbortsWithoutTime(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.Config.FailoverTimeout = 500 * time.Millisecond
	if err := r.m.Switchover(r.now, r.timing, true); err != nil {
		t.Fatal(err)
	}
	r.peersSay(true, 1, me, me)
	r.mustEmit(r.drain(), "-failover-abort-master-timeout")
}

func TestUserFailoverSettle(t *testing.T) {
	r := newRig(t, 1, 2)
	r.m.UserFailoverAt = r.m.Stamp(r.now)
	if err := r.m.CanFailover(r.now.Add(time.Second), r.timing); err != ErrInProgress {
		t.Fatalf("within the settle time: %v", err)
	}
	if err := r.m.CanFailover(r.now.Add(2*time.Second), r.timing); err != nil {
		t.Fatalf("after it: %v", err)
	}
}

// A leader that crashes between +promoted-slave and +switch-master must
// come back with the promoted replica as its master: its config epoch is
// already the failover's, and saving the old address beside it broke
// "one master address per name and config epoch" (the simulator's
// TestLeaderCrashSeeds, seeds 3, 7, 13).
func TestPersistedMidFailoverNamesThePromotedReplica(t *testing.T) {
	r := newRig(t, 2, 2)
	r.elect()
	r.info(r.m.Replicas[replicaAddr(0).String()], promotedInfoText())
	r.drain()
	p := r.m.Persisted()
	if p.Addr != replicaAddr(0) || p.ConfigEpoch != 1 {
		t.Fatalf("saved master %v in config epoch %d", p.Addr, p.ConfigEpoch)
	}
	want := []Addr{masterAddr, replicaAddr(1)}
	if len(p.KnownReplicas) != 2 || p.KnownReplicas[0] != want[0] || p.KnownReplicas[1] != want[1] {
		t.Fatalf("known replicas %v, want %v", p.KnownReplicas, want)
	}
	if len(p.KnownSentinels) != 2 {
		t.Fatalf("known peers %v", p.KnownSentinels)
	}
	back := New("mymaster", r.m.Config, p, r.m.env, r.now)
	if back.CurrentMasterAddr() != replicaAddr(0) || back.ConfigEpoch != 1 || len(back.Replicas) != 2 {
		t.Fatal("restart from the saved state")
	}
}

// The transactions both drivers send for an action.
func TestActionTx(t *testing.T) {
	n := NewNode(KindReplica, "r", replicaAddr(0), t0)
	got := Action{Kind: SlaveOf, Node: n, To: masterAddr}.Tx("db.example")
	if len(got) != 4 || got[0][0] != "SLAVEOF" || got[0][1] != "db.example" || got[0][2] != "6379" {
		t.Fatalf("SLAVEOF: %q", got)
	}
	n.FailoverReported = "waiting-for-sync"
	if got = (Action{Kind: SlaveOf, Node: n}).Tx(""); len(got) != 5 || got[0][0] != "FAILOVER" || got[1][1] != "NO" || got[1][2] != "ONE" {
		t.Fatalf("SLAVEOF NO ONE behind FAILOVER ABORT: %q", got)
	}
	got = Action{Kind: FailoverTo, Node: n, To: replicaAddr(1), TimeoutMs: 2500}.Tx("10.0.0.2")
	if len(got) != 2 || got[0][2] != "2500" || got[1][2] != "10.0.0.2" || got[1][3] != "6381" || got[1][5] != "2500" {
		t.Fatalf("FAILOVER TO: %q", got)
	}
	if got = (Action{Kind: KillClients}).Tx(""); len(got) != 4 || got[3][1] != "UNPAUSE" {
		t.Fatalf("kill clients: %q", got)
	}
	if (Action{Kind: Ask}).Tx("") != nil {
		t.Fatal("an Ask has no transaction")
	}
}

func TestParseDownReply(t *testing.T) {
	r, ok := ParseDownReply([]any{int64(1), "abc", int64(7)})
	if !ok || !r.Down || r.Leader != "abc" || r.Epoch != 7 {
		t.Fatalf("%+v %v", r, ok)
	}
	for _, bad := range []any{nil, "x", []any{int64(1), "a"}, []any{"1", "a", int64(2)}, []any{int64(1), int64(2), int64(3)}} {
		if _, ok := ParseDownReply(bad); ok {
			t.Errorf("accepted %v", bad)
		}
	}
	a := Action{Kind: Ask, To: masterAddr, Epoch: 3, RunID: "*"}
	if got := a.AskArgs("h"); len(got) != 6 || got[2] != "h" || got[3] != "6379" || got[4] != "3" || got[5] != "*" {
		t.Fatalf("ask: %q", got)
	}
}

// A replica that answers and may be promoted, only its INFO too old, is
// waited for longer than SelectGrace (an abort costs two failover
// timeouts), and chosen once its INFO comes; a wait past selectWait aborts.
func TestSelectWaitsForAnAnsweringReplicasInfo(t *testing.T) {
	for _, infoComes := range []bool{true, false} {
		r := newRig(t, 1, 2)
		rep := r.m.SortedReplicas()[0]
		r.advance(6 * time.Second) // the replica's INFO is older than 5 ping periods
		r.keepAlive()
		r.tick()
		r.drain()
		r.masterDies()
		r.peersSay(true, 0)
		r.peersSay(true, 1, me, me)
		r.drain()
		if r.m.State != StateSelectSlave {
			t.Fatalf("state %v, want select-slave", r.m.State)
		}
		for range 4 { // past SelectGrace, within selectWait
			r.advance(time.Second)
			r.keepAlive(r.m.Master)
			r.tick()
			if acts := r.drain(); has(acts, "-failover-abort-no-good-slave") {
				t.Fatalf("gave up on a replica that answers after %v", r.now.Sub(r.m.At(r.m.FailoverStateSince)))
			}
		}
		if infoComes {
			r.info(rep, replicaInfoText(masterAddr, true, 100))
			r.tick()
			if acts := r.drain(); !has(acts, "+selected-slave") {
				t.Fatalf("INFO came, no +selected-slave: %v", events(acts))
			}
			continue
		}
		r.advance(r.m.selectWait(r.timing))
		r.keepAlive(r.m.Master)
		r.tick()
		r.mustEmit(r.drain(), "-failover-abort-no-good-slave")
	}
}
