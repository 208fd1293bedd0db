package sentinel

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/qsentinel/qsentinel/quorum"
)

// maxDesync is SENTINEL_MAX_DESYNC: the random delay added to election
// timers so that peers do not retry in lock step.
const maxDesync = time.Second

// opinions lists what each peer last told us about the master.
func (g *group) opinions() []quorum.Opinion {
	peers := sortedInstances(g.sentinels)
	out := make([]quorum.Opinion, 0, len(peers))
	for _, si := range peers {
		out = append(out, quorum.Opinion{
			Down:        si.flags&flagMasterDown != 0,
			Leader:      si.leader,
			LeaderEpoch: si.leaderEpoch,
			At:          si.lastDownRep,
		})
	}
	return out
}

// checkODown is sentinelCheckObjectivelyDown.
func (g *group) checkODown(now time.Time, t Timing) {
	m := g.master
	if m.flags&(flagSDown|flagODown) == 0 {
		return // not down to us: nothing to count (the common case, every tick)
	}
	n, down := quorum.ObjectivelyDown(m.flags&flagSDown != 0, g.opinions(), g.cfg.Quorum, now, t.AskPeriod)
	if down {
		if m.flags&flagODown == 0 {
			m.flags |= flagODown
			m.oDownSince = now
			g.emitODown(m, n, g.cfg.Quorum)
		}
	} else if m.flags&flagODown != 0 {
		m.flags &^= flagODown
		g.emit(LevelWarning, "-odown", m, "")
	}
}

// askPeers is sentinelAskMasterStateToOtherSentinels: while the master is
// subjectively down, ask every peer for its opinion (and, during a
// failover, for its vote). forced skips the once-per-ask-period limit; we
// force at the moment the master goes down so that agreement does not wait
// for the next period.
func (g *group) askPeers(ctx context.Context, now time.Time, t Timing, forced bool) {
	m := g.master
	// In run-id order, as before: the same order on every sentinel keeps
	// runs and logs comparable.
	g.peerBuf = appendSorted(g.peerBuf[:0], g.sentinels)
	for _, si := range g.peerBuf {
		if now.Sub(si.lastDownRep) > 5*t.AskPeriod {
			si.flags &^= flagMasterDown
			si.leader = ""
		}
		if m.flags&flagSDown == 0 || si.conn == nil || si.disconnect || si.askBusy {
			continue
		}
		// Throttle on when we last asked, not on the last answer: gossip
		// refreshes answers too, and a vote only comes from asking.
		if !forced && now.Sub(si.askSent) < g.askInterval(t) {
			continue
		}
		// A vote request names the epoch of our attempt on this master,
		// not the shared current epoch, so other masters' elections
		// moving that on do not void it (see quorum.Vote).
		runID, epoch := "*", g.s.CurrentEpoch()
		if g.failoverState > FailoverNone {
			runID, epoch = g.s.myID, g.failoverEpoch
		}
		si.askBusy = true
		si.askSent = now
		g.async(ctx, si, func(reply any, err error) {
			si.askBusy = false
			arr, ok := reply.([]any)
			if err != nil || !ok || len(arr) != 3 {
				return
			}
			down, ok1 := arr[0].(int64)
			leader, ok2 := arr[1].(string)
			epoch, ok3 := arr[2].(int64)
			if !ok1 || !ok2 || !ok3 {
				return
			}
			si.lastDownRep = g.s.clock.Now()
			if down == 1 {
				si.flags |= flagMasterDown
			} else {
				si.flags &^= flagMasterDown
			}
			if leader != "*" {
				si.leader = leader
				si.leaderEpoch = uint64(epoch)
			}
			// Act on the answer now rather than at the next tick: this is
			// where objective-down and elections are decided.
			g.agreeAndAct(ctx)
		}, "SENTINEL", "is-master-down-by-addr", g.s.shownHost(m.addr.Host), strconv.Itoa(m.addr.Port),
			strconv.FormatUint(epoch, 10), runID)
	}
}

// askInterval is how often a peer is asked while the master is down.
// redis-sentinel asks once a second. We ask at tick rate while it matters
// most: when we see the master down but agreement has not formed yet, and
// while we wait for votes. With many masters failing over at once the
// shared epoch moves fast and votes come back for an epoch already left
// behind; asking again at once, not a second later, is what keeps fifty
// failovers close to one.
func (g *group) askInterval(t Timing) time.Duration {
	m := g.master
	if (m.flags&flagSDown != 0 && m.flags&flagODown == 0) || g.failoverState == FailoverWaitStart {
		if fast := t.AskPeriod / 10; fast > 0 {
			return fast
		}
	}
	return t.AskPeriod
}

// agreeAndAct re-evaluates objective-down and the failover after new facts
// arrived. Called with g.mu held.
func (g *group) agreeAndAct(ctx context.Context) {
	now := g.s.clock.Now()
	if g.s.updateTilt() {
		return
	}
	t := g.s.timing()
	g.checkODown(now, t)
	if g.startFailoverIfNeeded(now) {
		g.askPeers(ctx, now, t, true)
	}
	g.failoverStep(ctx, now, t)
}

// voteLocked is sentinelVoteLeader under the group lock. It reports the
// ballot after the request and whether anything that must reach the disk
// before the reply changed.
func (g *group) voteLocked(reqEpoch uint64, candidate string, now time.Time) (quorum.Ballot, bool) {
	g.s.voteMu.Lock()
	defer g.s.voteMu.Unlock()
	cur := g.s.CurrentEpoch()
	newCur, b, granted := quorum.Vote(cur, quorum.Ballot{Leader: g.leader, LeaderEpoch: g.leaderEpoch}, reqEpoch, g.configEpoch, candidate)
	changed := false
	if newCur > cur && g.s.bumpEpoch(newCur) {
		g.emitNewEpoch(newCur)
		changed = true
	}
	if granted {
		g.leader, g.leaderEpoch = b.Leader, b.LeaderEpoch
		g.emitVote(b.Leader, b.LeaderEpoch)
		if b.Leader != g.s.myID {
			// We voted for someone else: give them time before we try.
			g.failoverStartTime = now.Add(rand.N(maxDesync))
		}
		changed = true
	}
	return b, changed
}

// electionStuck reports whether the election for this master cannot end
// in the epoch of our attempt: every voter (each peer and we) has voted in
// it and no candidate has a majority. Candidates asking at the same moment can
// each get one vote (each voter answering another first); redis-sentinel
// then waits out the election timeout and twice the failover timeout
// (20 s with the defaults) before anyone tries again.
func (g *group) electionStuck() bool {
	cur := g.failoverEpoch
	if g.leaderEpoch != cur || g.leader == "" {
		return false
	}
	counts := map[string]int{g.leader: 1}
	for _, si := range g.sentinels {
		if si.leader == "" || si.leaderEpoch != cur {
			return false // a vote we do not know of may be a winner's
		}
		counts[si.leader]++
	}
	need := quorum.MajorityOf(len(g.sentinels) + 1)
	for _, n := range counts {
		if n >= need {
			return false
		}
	}
	return true
}

// getLeader is sentinelGetLeader: count the peers' votes for epoch, add our
// own (for the front runner, or ourselves), and return the winner if it has
// a majority of all voters and at least the quorum.
func (g *group) getLeader(epoch uint64, now time.Time) string {
	ops := g.opinions()
	counts, winner, max := quorum.Tally(ops, epoch)
	candidate := winner
	if candidate == "" {
		candidate = g.s.myID
	}
	b, changed := g.voteLocked(epoch, candidate, now)
	if changed {
		g.s.markDirty()
	}
	if b.Leader != "" && b.LeaderEpoch == epoch {
		counts[b.Leader]++
		if counts[b.Leader] > max {
			winner, max = b.Leader, counts[b.Leader]
		}
	}
	return quorum.Elected(winner, max, len(g.sentinels)+1, g.cfg.Quorum)
}
