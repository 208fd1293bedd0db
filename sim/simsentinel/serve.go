package simsentinel

import (
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
)

// serve answers what peers ask a sentinel: PING, and SENTINEL
// is-master-down-by-addr (IsMasterDownByAddr), whose vote is saved before
// the answer leaves.
func (n *Node) serve(now time.Time, from string, c sim.Command) {
	reply := func(v any) { n.reply(from, c.Answer(v)) }
	switch {
	case len(c.Args) == 1 && strings.EqualFold(c.Args[0], "PING"):
		reply("PONG")
	case len(c.Args) == 6 && strings.EqualFold(c.Args[0], "SENTINEL") && strings.EqualFold(c.Args[1], "is-master-down-by-addr"):
		port, _ := strconv.Atoi(c.Args[3])
		epoch, _ := strconv.ParseUint(c.Args[4], 10, 64)
		v, changed := n.isMasterDown(now, failover.Addr{Host: c.Args[2], Port: port}, epoch, c.Args[5])
		if changed {
			// The vote must be on disk before the reply leaves.
			n.replyAfterSave(from, c.Answer(v))
			return
		}
		reply(v)
	default:
		reply(sim.RedisError("ERR unknown command"))
	}
}

// isMasterDown is IsMasterDownByAddr: the reply, and whether it carries
// a vote that changed what must be saved before it leaves.
func (n *Node) isMasterDown(now time.Time, addr failover.Addr, epoch uint64, runID string) (reply []any, changed bool) {
	down, leader, leaderEpoch := int64(0), "*", uint64(0)
	for _, g := range n.groups {
		if g.m.Master.Addr != addr {
			continue
		}
		if !n.tilt && g.m.Master.Flags&failover.FlagSDown != 0 {
			down = 1
		}
		switch {
		case runID != "*" && n.opts.Mutant.has(MutantDoubleVote):
			if led := n.opts.Ledger; led != nil {
				led.vote(n.ep.Name(), g.name, epoch, runID)
			}
			leader, leaderEpoch = runID, epoch
		case runID != "*" && n.opts.Mutant.has(MutantLyingVote):
			leader, leaderEpoch = runID, epoch
		case runID != "*":
			b, ch := g.m.Vote(epoch, runID, now)
			changed = ch
			g.apply(now)
			if b.Leader != "" {
				leader, leaderEpoch = b.Leader, b.LeaderEpoch
			}
		}
		break
	}
	return []any{down, leader, int64(leaderEpoch)}, changed
}
