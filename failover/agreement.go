package failover

import (
	"github.com/qsentinel/qsentinel/event"
	"time"

	"github.com/qsentinel/qsentinel/quorum"
)

// maxDesync is SENTINEL_MAX_DESYNC: the random delay added to election
// timers so that peers do not retry in lock step.
const maxDesync = time.Second

// opinions lists what each peer last told us about the master, in run id
// order.
func (m *Machine) opinions() []quorum.Opinion {
	peers := m.SortedPeers()
	out := make([]quorum.Opinion, 0, len(peers))
	for _, si := range peers {
		out = append(out, quorum.Opinion{
			Down:        si.Flags&FlagMasterDown != 0,
			Leader:      si.Leader,
			LeaderEpoch: si.LeaderEpoch,
			At:          si.At(si.LastDownRep),
		})
	}
	return out
}

// checkODown is sentinelCheckObjectivelyDown.
func (m *Machine) checkODown(now time.Time, t Timing) {
	n := m.Master
	if n.Flags&(FlagSDown|FlagODown) == 0 {
		return // not down to us: nothing to count (the common case, every tick)
	}
	votes, down := quorum.ObjectivelyDown(n.Flags&FlagSDown != 0, m.opinions(), m.Config.Quorum, now, t.AskPeriod)
	if down {
		if n.Flags&FlagODown == 0 {
			n.Flags |= FlagODown
			n.ODownSince = n.Stamp(now)
			m.emitODown(votes)
		}
	} else if n.Flags&FlagODown != 0 {
		n.Flags &^= FlagODown
		m.emit(event.LevelWarning, "-odown", n, "")
	}
}

// askPeers is sentinelAskMasterStateToOtherSentinels: while the master is
// subjectively down, ask every peer for its opinion (and, during a
// failover, for its vote). forced skips the once-per-ask-period limit; we
// force at the moment the master goes down so that agreement does not wait
// for the next period.
func (m *Machine) askPeers(now time.Time, t Timing, forced bool) {
	down := m.Master.Flags&FlagSDown != 0
	// In run-id order: the same order on every sentinel keeps runs and
	// logs comparable.
	for _, si := range m.SortedPeers() {
		if now.Sub(si.At(si.LastDownRep)) > 5*t.AskPeriod {
			si.Flags &^= FlagMasterDown
			si.Leader = ""
		}
		if !down || si.Disconnected {
			continue
		}
		// A vote request names the epoch of our attempt on this master,
		// not the shared current epoch, so other masters' elections
		// moving that on do not void it (see quorum.Vote).
		runID, epoch := "*", m.env.Epochs.Current()
		if m.State > StateNone {
			runID, epoch = m.env.MyID, m.FailoverEpoch
		}
		// One question at a time per peer, except the vote request of an
		// attempt that has just begun: it goes out at once (on the vote
		// link, beside an opinion question still in flight), as
		// redis-sentinel's forced ask does. Waiting for the opinion's
		// answer first gave a second sentinel the time to start an
		// attempt of its own and split the votes: 1,000 masters killed,
		// 8 runs alternating, tries per master (median of the runs)
		// 1.48 → 1.07, last switch 2.94 → 2.66 s (BENCHMARKS.md).
		if si.AskBusy && !(forced && runID != "*") {
			continue
		}
		// Throttle on when we last asked, not on the last answer: gossip
		// refreshes answers too, and a vote only comes from asking.
		if !forced && now.Sub(si.At(si.AskSent)) < m.askInterval(t) {
			continue
		}
		si.AskBusy = true
		si.AskSent = si.Stamp(now)
		m.do(Action{Kind: Ask, Node: si, Epoch: epoch, RunID: runID, To: m.Master.Addr})
	}
}

// askInterval is how often a peer is asked while the master is down.
// redis-sentinel asks once a second. We ask at tick rate while it matters
// most: when we see the master down but agreement has not formed yet, and
// while we wait for votes. With many masters failing over at once the
// shared epoch moves fast and votes come back for an epoch already left
// behind; asking again at once, not a second later, is what keeps fifty
// failovers close to one.
func (m *Machine) askInterval(t Timing) time.Duration {
	f := m.Master.Flags
	if (f&FlagSDown != 0 && f&FlagODown == 0) || m.State == StateWaitStart {
		if fast := t.AskPeriod / 10; fast > 0 {
			return fast
		}
	}
	return t.AskPeriod
}

// PeerAskFailed records that the question to peer si got no usable answer.
func (m *Machine) PeerAskFailed(si *Node) { si.AskBusy = false }

// PeerReply records peer si's answer to is-master-down-by-addr about
// the master at about (leader "*" when it did not vote) and acts on it at
// once: this is where objective down and elections are decided. tilt is
// whether the sentinel is in TILT (facts are recorded, nothing is
// decided). An answer about another address than the master's (asked
// before a switch, answered after it) is no opinion of this master and
// is dropped.
func (m *Machine) PeerReply(si *Node, about Addr, now time.Time, t Timing, tilt, down bool, leader string, epoch uint64) {
	si.AskBusy = false
	if about != m.Master.Addr {
		return
	}
	si.LastDownRep = si.Stamp(now)
	if down {
		si.Flags |= FlagMasterDown
	} else {
		si.Flags &^= FlagMasterDown
	}
	if leader != "*" {
		si.Leader = leader
		si.LeaderEpoch = epoch
	}
	if !tilt {
		m.AgreeAndAct(now, t)
	}
}

// AgreeAndAct re-evaluates objective down and the failover after new
// facts arrived (a peer's answer, gossip).
func (m *Machine) AgreeAndAct(now time.Time, t Timing) {
	m.checkODown(now, t)
	if m.startFailoverIfNeeded(now, t) {
		m.askPeers(now, t, true)
	}
	m.step(now, t)
}

// Vote is sentinelVoteLeader for a peer's request: our vote for
// candidate in reqEpoch. It returns our ballot after the request and
// whether anything changed that must reach the disk before the answer:
// the driver saves it at once, synchronously (no Persist action is
// decided, which would make the save loop write it a second time while
// the answer waits).
func (m *Machine) Vote(reqEpoch uint64, candidate string, now time.Time) (quorum.Ballot, bool) {
	e := m.env.Epochs
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.cur.Load()
	newCur, b, granted := quorum.Vote(cur, quorum.Ballot{Leader: m.Leader, LeaderEpoch: m.LeaderEpoch}, reqEpoch, m.ConfigEpoch, candidate)
	if granted && candidate != m.env.MyID && m.Held(now) != "" {
		// Held (hold.go): the epoch moves on as always, the vote is not
		// given; the peer hears our earlier ballot.
		granted, b = false, quorum.Ballot{Leader: m.Leader, LeaderEpoch: m.LeaderEpoch}
	}
	changed := false
	if newCur > cur && e.bumpLocked(newCur) {
		m.emitNewEpoch(newCur)
		changed = true
	}
	if granted {
		m.Leader, m.LeaderEpoch = b.Leader, b.LeaderEpoch
		m.emitVote(b.Leader, b.LeaderEpoch)
		if b.Leader != m.env.MyID {
			// We voted for someone else: give them time before we try.
			m.FailoverStartTime = m.Stamp(now.Add(m.jitter(maxDesync)))
		}
		changed = true
	}
	return b, changed
}

// voteOwn is Vote for our own elections: a change is saved with the rest
// of the step.
func (m *Machine) voteOwn(reqEpoch uint64, candidate string, now time.Time) quorum.Ballot {
	b, changed := m.Vote(reqEpoch, candidate, now)
	if changed {
		m.persist()
	}
	return b
}

// electionStuck reports whether the election for this master cannot end
// in the epoch of our attempt (quorum.SplitVote).
func (m *Machine) electionStuck() bool {
	return quorum.SplitVote(quorum.Ballot{Leader: m.Leader, LeaderEpoch: m.LeaderEpoch}, m.opinions(), m.FailoverEpoch)
}

// leader is sentinelGetLeader: count the peers' votes for epoch, add our
// own (for the front runner, or ourselves), and return the winner if it
// has a majority of all voters and at least the quorum.
func (m *Machine) leader(epoch uint64, now time.Time) string {
	counts, winner, max := quorum.Tally(m.opinions(), epoch)
	candidate := winner
	if candidate == "" {
		candidate = m.env.MyID
	}
	b := m.voteOwn(epoch, candidate, now)
	if b.Leader != "" && b.LeaderEpoch == epoch {
		counts[b.Leader]++
		if counts[b.Leader] > max {
			winner, max = b.Leader, counts[b.Leader]
		}
	}
	return quorum.Elected(winner, max, len(m.Sentinels)+1, m.Config.Quorum)
}

// PeerOpinion records a peer's opinion of the master at about learned
// another way than by asking (the membership gossip), and acts on it like
// an answer; like an answer, one about another address is dropped.
func (m *Machine) PeerOpinion(si *Node, about Addr, now time.Time, t Timing, tilt, down bool) {
	if about != m.Master.Addr {
		return
	}
	si.LastDownRep = si.Stamp(now)
	if down {
		si.Flags |= FlagMasterDown
	} else {
		si.Flags &^= FlagMasterDown
	}
	if !tilt {
		m.AgreeAndAct(now, t)
	}
}
