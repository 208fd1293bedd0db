// Package quorum holds the agreement rules of redis-sentinel: when enough
// sentinels think a master is down (objective down), whether to grant a
// vote, and who won an election. The rules are pure functions over what
// the monitor observed, so they can be tested exhaustively and every
// instance, ours or redis-sentinel, reaches the same answer from the same
// facts.
package quorum

import "time"

// Opinion is what one peer last answered to SENTINEL is-master-down-by-addr.
type Opinion struct {
	Down        bool
	Leader      string // "" when the peer has not voted
	LeaderEpoch uint64
	At          time.Time // when the answer arrived
}

// Stale reports whether an opinion is too old to count. redis-sentinel
// forgets a peer's answer after five ask periods without a new one.
func (o Opinion) Stale(now time.Time, askPeriod time.Duration) bool {
	return o.At.IsZero() || now.Sub(o.At) > 5*askPeriod
}

// ObjectivelyDown is sentinelCheckObjectivelyDown: our own subjective view
// counts as one vote, each fresh "down" answer of a peer as another. It
// returns how many agree and whether that reaches the quorum.
func ObjectivelyDown(selfDown bool, peers []Opinion, quorum int, now time.Time, askPeriod time.Duration) (int, bool) {
	if !selfDown {
		return 0, false
	}
	n := 1
	for _, p := range peers {
		if p.Down && !p.Stale(now, askPeriod) {
			n++
		}
	}
	return n, n >= quorum
}

// Ballot is the voting state this instance keeps per master: the leader it
// voted for and in which epoch. It must be on disk before a vote is
// answered, so that a restart cannot vote twice in one epoch.
type Ballot struct {
	Leader      string
	LeaderEpoch uint64
}

// Vote is sentinelVoteLeader for one master. Asked for candidate in
// reqEpoch while our current epoch is current and the master's
// configuration is of configEpoch, it returns the new current epoch, the
// new ballot, and whether a vote was granted. A vote is granted at most
// once per master and epoch, in rising epochs only: when our last vote for
// this master is older than reqEpoch and reqEpoch is newer than the
// master's configuration.
//
// redis-sentinel also refuses any request behind its current epoch. That
// epoch is shared by every master, so when many masters fail over at once
// each new attempt for one of them voided the requests in flight for all
// the others, and fifty failovers took several rounds each. The ballot is
// per master, so uniqueness does not need that rule; the configuration
// floor keeps a late candidate from winning an epoch older than a failover
// that already happened.
func Vote(current uint64, b Ballot, reqEpoch, configEpoch uint64, candidate string) (uint64, Ballot, bool) {
	if reqEpoch > current {
		current = reqEpoch
	}
	if b.LeaderEpoch < reqEpoch && configEpoch < reqEpoch {
		return current, Ballot{Leader: candidate, LeaderEpoch: reqEpoch}, true
	}
	return current, b, false
}

// MajorityOf is the number of votes that authorizes a failover among
// voters sentinels (all known peers plus ourselves).
func MajorityOf(voters int) int { return voters/2 + 1 }

// Tally is the counting half of sentinelGetLeader: peers' votes of the
// given epoch per candidate, and the candidate with most votes (ties go to
// the first in the order given, which callers keep stable).
func Tally(peers []Opinion, epoch uint64) (map[string]int, string, int) {
	counts := map[string]int{}
	var order []string
	for _, p := range peers {
		if p.Leader == "" || p.LeaderEpoch != epoch {
			continue
		}
		if counts[p.Leader] == 0 {
			order = append(order, p.Leader)
		}
		counts[p.Leader]++
	}
	winner, max := "", 0
	for _, c := range order {
		if counts[c] > max {
			winner, max = c, counts[c]
		}
	}
	return counts, winner, max
}

// Elected applies the final rule of sentinelGetLeader: the winner needs a
// majority of all voters and at least the configured quorum.
func Elected(winner string, votes, voters, quorum int) string {
	if winner == "" || votes < MajorityOf(voters) || votes < quorum {
		return ""
	}
	return winner
}

// SplitVote reports whether an election cannot end in epoch: our own vote
// (own) and every peer's vote are known to be in epoch, and no candidate
// has a majority of all voters. Candidates asking at the same moment can
// each get some votes (each voter answering another first); redis-sentinel
// then waits out the election timeout and twice the failover timeout
// before anyone tries again. A vote we do not know of may be a winner's,
// so any unknown or older vote means the election is not stuck.
func SplitVote(own Ballot, peers []Opinion, epoch uint64) bool {
	if own.Leader == "" || own.LeaderEpoch != epoch {
		return false
	}
	counts := map[string]int{own.Leader: 1}
	for _, p := range peers {
		if p.Leader == "" || p.LeaderEpoch != epoch {
			return false
		}
		counts[p.Leader]++
	}
	need := MajorityOf(len(peers) + 1)
	for _, n := range counts {
		if n >= need {
			return false
		}
	}
	return true
}
