package simsentinel

import (
	"time"

	"github.com/qsentinel/qsentinel/failover"
)

// hearUnheard plants MutantCountUnheardReplicas from the driver: every
// subjectively down replica that never answered our INFO is marked as
// heard (its creation time), so that failover's replicaDown counts it as
// the code before the fix counted every replica. Only down replicas are
// touched: replica selection skips them anyway.
func (g *group) hearUnheard() {
	for _, r := range g.m.Replicas {
		if r.Down() && r.InfoRefresh.IsZero() {
			r.InfoRefresh = r.Stamp(r.Created)
		}
	}
}

// tick runs the machine's tick with the select mutants planted.
func (g *group) tick(now time.Time) {
	t := g.n.opts.Timing
	g.planted(now, func() { g.m.Tick(now, t) })
}

// planted runs fn, a call into the machine that may select a replica
// (its tick, a peer's reply that elects it), with the select mutants
// planted around it: each changes, for the call only, what the machine
// reads of its replicas, and puts it back before the driver carries
// anything out.
func (g *group) planted(now time.Time, fn func()) {
	if g.n.opts.Mutant.has(MutantNegativeInfoAge) {
		defer g.hideInfoReadAfter(g.heardUpTo)()
	}
	if g.n.opts.Mutant.has(MutantSelectGraceOnly) {
		defer g.giveUpAfterGrace(now, g.n.opts.Timing)()
	}
	fn()
}

// hideInfoReadAfter plants MutantNegativeInfoAge: a replica whose INFO
// was read after heard (what the loop had read up to) reads as never
// having answered INFO, which is what a negative age meant to
// failover.Select. It returns what puts the INFO times back.
func (g *group) hideInfoReadAfter(heard time.Time) func() {
	hidden := map[*failover.Node]failover.Stamp{}
	for _, r := range g.m.Replicas {
		if !heard.IsZero() && r.At(r.InfoRefresh).After(heard) {
			hidden[r] = r.InfoRefresh
			r.InfoRefresh = 0
		}
	}
	return func() {
		for r, at := range hidden {
			r.InfoRefresh = at
		}
	}
}

// giveUpAfterGrace plants MutantSelectGraceOnly: once a failover has
// been in select_slave for failover.SelectGrace with no replica selectable, every
// replica's priority reads 0 for the call, so that selectWait finds none
// that may be promoted and the leader gives up as before the fix (no
// replica is selectable either way). It returns what puts the
// priorities back.
func (g *group) giveUpAfterGrace(now time.Time, t failover.Timing) func() {
	m := g.m
	if m.State != failover.StateSelectSlave || now.Sub(m.At(m.FailoverStateSince)) < failover.SelectGrace || m.SelectReplica(now, t) != nil {
		return func() {}
	}
	prio := map[*failover.Node]int{}
	for _, r := range m.Replicas {
		prio[r] = r.SlavePriority
		r.SlavePriority = 0
	}
	return func() {
		for r, p := range prio {
			r.SlavePriority = p
		}
	}
}
