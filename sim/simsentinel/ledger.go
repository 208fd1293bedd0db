package simsentinel

import (
	"fmt"

	"github.com/qsentinel/qsentinel/sim/invariant"
)

// Ledger is the world's record of what its sentinels hold and did, checked
// as it grows: the invariant.Recorder's checks (one master address per
// name and config epoch, epochs never go back, one vote per voter, master
// and epoch), plus "a minority never fails over": a sentinel elected for
// an epoch (not a forced failover) holds the votes of a majority of all
// the world's sentinels in it.
type Ledger struct {
	Rec   *invariant.Recorder
	total int
	votes map[masterEpoch]map[string]string // voter -> candidate run id
	err   error
}

type masterEpoch struct {
	master string
	epoch  uint64
}

// NewLedger is the ledger of a world of total sentinels.
func NewLedger(total int) *Ledger {
	return &Ledger{Rec: invariant.NewRecorder(), total: total, votes: map[masterEpoch]map[string]string{}}
}

// MinorityElected names the invariant elected checks.
const MinorityElected = "a minority never fails over"

// Err is the first violation, nil if none (for World.Check).
func (l *Ledger) Err() error {
	if l.err != nil {
		return l.err
	}
	return l.Rec.Err()
}

func (l *Ledger) report(sentinel, master string, configEpoch uint64, addr string, current uint64) {
	l.Rec.Report(invariant.Report{Sentinel: sentinel, Master: master, ConfigEpoch: configEpoch, Addr: addr, CurrentEpoch: current})
}

func (l *Ledger) vote(voter, master string, epoch uint64, candidate string) {
	l.Rec.Vote(invariant.Vote{Voter: voter, Master: master, Epoch: epoch, Candidate: candidate})
	k := masterEpoch{master, epoch}
	if l.votes[k] == nil {
		l.votes[k] = map[string]string{}
	}
	if _, ok := l.votes[k][voter]; !ok {
		l.votes[k][voter] = candidate
	}
}

func (l *Ledger) elected(sentinel, runID, master string, epoch uint64) {
	n := 0
	for _, c := range l.votes[masterEpoch{master, epoch}] {
		if c == runID {
			n++
		}
	}
	if need := l.total/2 + 1; n < need && l.err == nil {
		l.err = &invariant.Violation{Invariant: MinorityElected,
			Now:     fmt.Sprintf("%s was elected for %s in epoch %d", sentinel, master, epoch),
			Earlier: fmt.Sprintf("it holds %d of %d sentinels' votes, %d needed", n, l.total, need)}
	}
}
