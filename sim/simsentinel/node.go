package simsentinel

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
)

// Master is one master a sentinel is configured to monitor.
type Master struct {
	Name   string
	Addr   sim.Addr
	Config failover.Config
}

// Options configure every sentinel of a world alike.
type Options struct {
	Masters []Master
	Timing  failover.Timing
	// Ledger receives every vote, report and election; it checks the
	// invariants (shared by all the world's sentinels).
	Ledger *Ledger
	// Mutant breaks one rule on purpose, to show that the simulator and
	// its checks catch it (mutant_test.go): "" for none.
	Mutant Mutant
	// SaveTimes is how long each save of the config takes (disk.go); nil:
	// saves are instant.
	SaveTimes SaveTimes
	// RedialsPerSecond is the redial budget (failover.RedialBudget; 0:
	// its default), as production's sentinel.Options.
	RedialsPerSecond int
}

// Mutant is a bug planted on purpose; several joined by "+" plant them
// all (Plant).
type Mutant string

// Plant joins mutants, to plant them together.
func Plant(ms ...Mutant) Mutant {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = string(m)
	}
	return Mutant(strings.Join(s, "+"))
}

// has says whether m plants x.
func (m Mutant) has(x Mutant) bool {
	return m != "" && slices.Contains(strings.Split(string(m), "+"), string(x))
}

// The planted bugs.
const (
	// MutantDoubleVote grants every vote request, whoever asked before
	// in the same epoch (breaks one vote per master and epoch).
	MutantDoubleVote Mutant = "double-vote"
	// MutantLyingVote answers every vote request as if granted, without
	// voting (a candidate counts votes that were never given).
	MutantLyingVote Mutant = "lying-vote"
	// MutantForgetEpoch starts every restart from epoch 0 (the current
	// epoch is not read back from disk).
	MutantForgetEpoch Mutant = "forget-epoch"
	// MutantFenceTooHigh raises every fence two replicas above what was
	// decided (a master fenced beyond what its replicas can give refuses
	// every write).
	MutantFenceTooHigh Mutant = "fence-too-high"
	// MutantHoldAllReplies is respserver before the 200-master benchmark's
	// fix: replies held behind a vote leave only once a save ended with
	// no vote having arrived during it (replies.go).
	MutantHoldAllReplies Mutant = "hold-all-replies"
	// MutantVotesOnPeerLink asks for votes on the connection that carries
	// the PINGs to the peer, as before production gave votes a link of
	// their own (sentinel/agreement.go askVote).
	MutantVotesOnPeerLink Mutant = "votes-on-peer-link"
	// MutantCountUnheardReplicas is fail-closed discovery before its fix
	// (failover/isolation.go replicaDown): a replica never heard from,
	// such as the dead old master listed after a failover, counts as a
	// replica down, evidence of a cut. Planted from the driver, which
	// marks every subjectively down replica as heard (mutant.go): no
	// hook in package failover.
	MutantCountUnheardReplicas Mutant = "count-unheard-replicas"
	// MutantJudgeByNow is the driver before the 1,000-master benchmark's
	// fix: silence measured up to now although the event loop had not
	// read what had come (no Machine.HeardUpTo), so a sentinel whose
	// reads lag takes its own lateness for its peers' and replicas'
	// silence.
	MutantJudgeByNow Mutant = "judge-by-now"
	// MutantExpireByNow times calls out by now although their replies
	// may wait unread, as production's event loop did before a passed
	// read deadline first read what waited in the socket.
	MutantExpireByNow Mutant = "expire-by-now"
	// MutantSelectGraceOnly is select_slave before the 1,000-master
	// bench's fix (failover.Machine.selectWait): the leader gives up
	// after failover.SelectGrace (2 s) with no replica selectable, even while one
	// answers PINGs and may be promoted, its INFO only late. Planted from
	// the driver (mutant.go): no hook in package failover.
	MutantSelectGraceOnly Mutant = "select-grace-only"
	// MutantNegativeInfoAge is replica selection before the same bench's
	// other fix (failover.Machine.SelectReplica): an INFO read after the
	// moment the loop was caught up (HeardUpTo) has a negative age, which
	// selection reads as never. Planted from the driver (mutant.go).
	MutantNegativeInfoAge Mutant = "negative-info-age"
	// MutantOpinionsSurviveSwitch is the machine before the 1,000-master
	// benchmark's stale-opinion fix, as redis-sentinel does: the peers'
	// master_down flags outlive a switch and count for the new master.
	// Planted from the driver (evidence.go).
	MutantOpinionsSurviveSwitch Mutant = "opinions-survive-switch"
	// MutantPeerReplyWithinPeriod is the shared peer PING's pass-on rule
	// before the 1,000-master benchmark's fix (failover.Machine.SharedPeerReply):
	// a reply on the shared connection reaches the other master groups'
	// views of the peer only when their tick comes within a PING period
	// of it. Planted from the driver (peerlink.go).
	MutantPeerReplyWithinPeriod Mutant = "peer-reply-within-period"
)

// Node is one simulated sentinel.
type Node struct {
	ep     *sim.Endpoint
	cl     *sim.Client
	opts   Options
	env    *failover.Env
	groups []*group // by name
	byName map[string]*group

	lastTick  time.Time
	tilt      bool
	tiltSince time.Time
	// heard is when each endpoint's pub/sub connection last brought
	// anything (pubSubIdleLimit).
	heard map[string]time.Time
	// peerLinks is the shared peer PING's bookkeeping per peer endpoint
	// (peerlink.go).
	peerLinks map[string]*peerLink
	// saver and outboxes: saves that take time, and the replies that
	// wait for them (disk.go, replies.go).
	saver    saver
	outboxes map[inConn]*outbox
	// redials is production's (sentinel.Sentinel.tick): the budget of
	// redials to ports that refused, which also says which group the
	// tick starts at.
	redials failover.RedialBudget
}

// group is one master's machine and its links.
type group struct {
	n    *Node
	name string
	m    *failover.Machine
	// heardUpTo is what the machine was last told by HeardUpTo (for
	// MutantNegativeInfoAge).
	heardUpTo time.Time
	// answers are the peers' last answers as delivered (evidence.go).
	answers map[*failover.Node]heardDown
}

// link is the driver's state for one node of a machine.
type link struct {
	subscribed, subBusy         bool
	pingBusy, infoBusy, pubBusy bool
	redialing                   bool // the last PING went out on a link that was down, and nothing answered since
	refused                     bool // the command link's last failure was a refused connect (failover.RedialBudget)
	helloAgain                  bool // announced while a hello was in flight
	lastPub                     time.Time
}

func linkOf(n *failover.Node) *link {
	if l, ok := n.Link.(*link); ok {
		return l
	}
	l := &link{lastPub: n.Created}
	n.Link = l
	return l
}

// Start returns the sim.StartFunc of a sentinel: its first start takes
// the masters from opts and a run id from the world's random source;
// every later one reads back what it saved.
func Start(opts Options) sim.StartFunc {
	return func(ep *sim.Endpoint) sim.Node {
		n := &Node{ep: ep, cl: sim.NewClient(ep), opts: opts, byName: map[string]*group{}, heard: map[string]time.Time{}, peerLinks: map[string]*peerLink{},
			outboxes: map[inConn]*outbox{}, redials: failover.RedialBudget{PerSecond: opts.RedialsPerSecond}}
		now := ep.Now()
		st, ok := load(ep.Disk())
		if !ok {
			st = initialState(ep, opts)
		}
		if opts.Mutant.has(MutantForgetEpoch) {
			st.CurrentEpoch = 0
		}
		n.env = &failover.Env{
			MyID:   st.MyID,
			Epochs: failover.NewEpochs(st.CurrentEpoch),
			Jitter: func(max time.Duration) time.Duration { return time.Duration(ep.Rand().Int64N(int64(max))) },
		}
		for _, ms := range st.Masters {
			cfg := failover.Config{}
			for _, om := range opts.Masters {
				if om.Name == ms.Name {
					cfg = om.Config
				}
			}
			g := &group{n: n, name: ms.Name, m: failover.New(ms.Name, cfg, ms.Persisted, n.env, now)}
			if opts.Ledger != nil {
				opts.Ledger.viewBegins(ep.Name(), ms.Name)
			}
			n.groups = append(n.groups, g)
			n.byName[ms.Name] = g
		}
		slices.SortFunc(n.groups, func(a, b *group) int { return strings.Compare(a.name, b.name) })
		n.lastTick = now
		if !ok {
			n.save()
		}
		n.report()
		ep.Tracef("start id %s epoch %d", st.MyID[:8], st.CurrentEpoch)
		return n
	}
}

// ID is the sentinel's run id.
func (n *Node) ID() string { return n.env.MyID }

// Machine is the machine of master name (nil when not monitored), for
// tests and scenario checks.
func (n *Node) Machine(name string) *failover.Machine {
	if g := n.byName[name]; g != nil {
		return g.m
	}
	return nil
}

// Tilted reports whether the sentinel is in TILT.
func (n *Node) Tilted() bool { return n.tilt }

// Tick is the sentinel's timer (sentinelTimer): TILT, links, decisions.
func (n *Node) Tick(now time.Time) {
	// Production judges silence, and times calls out, only up to what
	// its event loop has read (eventloop.Loop.CaughtUp); here the
	// endpoint says up to when its messages were handed over.
	heard := now
	if c := n.ep.CaughtUp(); c.Before(now) {
		heard = c
	}
	if n.opts.Mutant.has(MutantExpireByNow) {
		n.cl.Expire(now)
	} else {
		n.cl.Expire(heard)
	}
	n.updateTilt(now)
	n.redials.Refill(now)
	from := n.redials.Start(len(n.groups))
	for k := range n.groups {
		at := (from + k) % len(n.groups)
		g := n.groups[at]
		for _, node := range g.m.Nodes() {
			g.sendPeriodic(now, node)
		}
		if !n.tilt {
			if n.opts.Mutant.has(MutantCountUnheardReplicas) {
				g.hearUnheard()
			}
			if !n.opts.Mutant.has(MutantJudgeByNow) {
				g.m.HeardUpTo(heard)
				g.heardUpTo = heard
			}
			g.tick(now)
		}
		g.apply(now)
		n.redials.Ticked(at)
	}
}

// updateTilt is sentinelCheckTiltCondition on the node's own clock: a
// timer that jumped (back, or forward by more than TiltTrigger: a frozen
// process, a clock set) makes every recent fact suspect.
func (n *Node) updateTilt(now time.Time) {
	t := n.opts.Timing
	delta := now.Sub(n.lastTick)
	n.lastTick = now
	switch {
	case delta < 0 || delta > t.TiltTrigger:
		if !n.tilt {
			n.ep.Tracef("+tilt (timer moved %v)", delta)
		}
		n.tilt, n.tiltSince = true, now
	case n.tilt && now.Sub(n.tiltSince) >= t.TiltPeriod:
		n.tilt = false
		n.ep.Tracef("-tilt")
	}
}

// Receive handles replies (through the client), hellos, closed links and
// peers' questions.
func (n *Node) Receive(now time.Time, from string, msg sim.Msg) {
	if n.cl.Handle(from, msg) {
		return
	}
	switch m := msg.(type) {
	case sim.Message:
		n.heard[from] = now
		if m.Channel == helloChannel {
			n.processHello(now, m.Payload)
		}
	case sim.Closed:
		n.linkClosed(from, m.Conn)
	case sim.Command:
		n.serve(now, from, m)
	}
}

// linkClosed forgets the subscriptions a closed connection carried.
func (n *Node) linkClosed(from, conn string) {
	for _, g := range n.groups {
		for _, node := range g.m.Nodes() {
			if name, ok := n.lookup(node.Addr); ok && name == from && (conn == "" || strings.HasPrefix(conn, "pubsub")) {
				l := linkOf(node)
				l.subscribed, l.subBusy = false, false
			}
		}
	}
}

func (n *Node) lookup(a failover.Addr) (string, bool) {
	return n.ep.Lookup(toSim(a))
}

// report tells the ledger what every master's view is now.
func (n *Node) report() {
	if n.opts.Ledger == nil {
		return
	}
	for _, g := range n.groups {
		n.opts.Ledger.report(n.ep.Name(), g.name, g.m.ConfigEpoch, g.m.CurrentMasterAddr().String(), n.env.Epochs.Current())
	}
}

func (g *group) tracef(format string, args ...any) {
	g.n.ep.Tracef("%s: %s", g.name, fmt.Sprintf(format, args...))
}
