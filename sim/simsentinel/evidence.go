package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/quorum"
	"github.com/qsentinel/qsentinel/sim/invariant"
)

// ODownOnEvidence names the invariant checkODown checks: a sentinel
// declares a master objectively down only when enough peers said so of
// that master, at its address, recently. The simulator keeps every
// answer it delivered, so the check does not trust the machine's own
// bookkeeping of them: answers about the old master must not count for
// the new one after a switch (the 1,000-master benchmark's "#quorum 3/2"
// for new masters that no peer saw down).
const ODownOnEvidence = "objective down only on peers' fresh answers about the master's address"

// heardDown is a peer's last answer to is-master-down-by-addr as the
// simulator delivered it.
type heardDown struct {
	about failover.Addr // the address the question named
	down  bool
	at    time.Time
}

// heard records peer si's answer about the master at about.
func (g *group) heard(si *failover.Node, about failover.Addr, down bool, now time.Time) {
	if g.answers == nil {
		g.answers = map[*failover.Node]heardDown{}
	}
	g.answers[si] = heardDown{about: about, down: down, at: now}
}

// checkODown checks a +odown this group's machine published: ourselves
// plus every peer whose last delivered answer, fresh as quorum.Opinion
// counts freshness, said the master at the event's address is down must
// reach the quorum.
func (g *group) checkODown(e event.Event, now time.Time) error {
	at := failover.Addr{Host: e.Instance.Addr.Host, Port: e.Instance.Addr.Port}
	n := 1
	for _, si := range g.m.Sentinels {
		h, ok := g.answers[si]
		if !ok {
			continue
		}
		fresh := !(quorum.Opinion{At: h.at}).Stale(now, g.n.opts.Timing.AskPeriod)
		if h.down && h.about == at && fresh {
			n++
		}
	}
	if n >= g.m.Config.Quorum {
		return nil
	}
	return &invariant.Violation{Invariant: ODownOnEvidence,
		Now:     fmt.Sprintf("%s declared %s at %s objectively down (%d/%d)", g.n.ep.Name(), g.name, at, e.Votes, e.Quorum),
		Earlier: fmt.Sprintf("only %d of the quorum %d (itself included) said so of that address in the last %v", n, g.m.Config.Quorum, 5*g.n.opts.Timing.AskPeriod)}
}

// reviveOpinions plants MutantOpinionsSurviveSwitch: at a switch the
// peers' master_down flags are set again as they were before it, as
// redis-sentinel keeps them.
func (g *group) reviveOpinions() {
	for si, h := range g.answers {
		if h.down {
			si.Flags |= failover.FlagMasterDown
		}
	}
}
