package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/event"

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
	// last is each sentinel's last report per master: a report that
	// changes nothing is not recorded again, and changed says whether
	// the split-brain check has new reports to look at.
	last      map[[2]string]invariant.Report
	changed   bool
	lastCheck time.Time
	// OnEvent, when set, sees every event a sentinel publishes (for
	// scenarios that act at an exact failover state).
	OnEvent func(sentinel string, e event.Event)
	// reach, when set, judges every belief of being cut off against the
	// world's ground truth (reach.go).
	reach *reach
}

type masterEpoch struct {
	master string
	epoch  uint64
}

// NewLedger is the ledger of a world of total sentinels.
func NewLedger(total int) *Ledger {
	return &Ledger{Rec: invariant.NewRecorder(), total: total, votes: map[masterEpoch]map[string]string{}, last: map[[2]string]invariant.Report{}}
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
	r := invariant.Report{Sentinel: sentinel, Master: master, ConfigEpoch: configEpoch, Addr: addr, CurrentEpoch: current}
	k := [2]string{sentinel, master}
	if prev, ok := l.last[k]; ok && prev == r {
		return
	}
	l.last[k] = r
	l.changed = true
	l.Rec.Report(r)
}

// CheckSplitBrain runs the recorder's split-brain check when reports
// changed since the last run, or every period anyway (servers change
// roles without a report): after every event it was most of a seed's
// time.
func (l *Ledger) CheckSplitBrain(now time.Time, period time.Duration, quorum int, isMaster func(string) bool) error {
	if !l.changed && now.Sub(l.lastCheck) < period {
		return nil
	}
	l.changed, l.lastCheck = false, now
	return l.Rec.CheckSplitBrain(quorum, isMaster)
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

// fail records the first violation.
func (l *Ledger) fail(err error) {
	if err != nil && l.err == nil {
		l.err = err
	}
}

// peerDown checks sentinel s seeing the peer at addr subjectively down.
func (l *Ledger) peerDown(s string, addr event.Addr) {
	if l.reach != nil {
		l.fail(l.reach.peerDown(s, addr))
	}
}

// peerSilent checks sentinel s's PING link to peer p timing out.
func (l *Ledger) peerSilent(s, p string, timeout time.Duration) {
	if l.reach != nil {
		l.fail(l.reach.peerSilent(s, p, timeout))
	}
}

// viewBegins records that a sentinel's view of a master's group begins
// anew: at its start, or at a +switch-master.
func (l *Ledger) viewBegins(sentinel, master string) {
	if l.reach != nil {
		l.reach.viewBegins(sentinel, master)
	}
}

// failedClosed checks a sentinel failing closed for one of its masters.
func (l *Ledger) failedClosed(n *Node, g *group, what string) {
	if l.reach != nil {
		l.fail(l.reach.failedClosed(n.ep.Name(), g.name, what))
	}
}

// selectBegins records that a sentinel's failover of a master entered
// select_slave.
func (l *Ledger) selectBegins(sentinel, master string) {
	if l.reach != nil {
		l.reach.selectBegins(sentinel, master)
	}
}

// gaveUp checks a sentinel giving up a failover for want of a good
// replica (gaveup.go).
func (l *Ledger) gaveUp(n *Node, g *group) {
	if l.reach != nil {
		l.fail(l.reach.gaveUp(n.ep.Name(), g.name, g.m))
	}
}
