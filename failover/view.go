package failover

import (
	"strconv"
	"strings"
	"time"
)

// Agreement is how much of the group — this sentinel and the peers it
// knows for the master — sees the master as this sentinel does now. The
// HAProxy agent routes to a server only while Agreement is OK: a sentinel
// cut off from its peers cannot know that the majority has replaced the
// master, so it must not vouch for the one it knows (fail closed).
type Agreement struct {
	Agree int // ourselves plus the peers that agree
	Group int // ourselves plus the known peers
	Need  int // how many must agree: a majority of Group

	// Why the others do not count (each peer is counted once, under the
	// first reason that applies, in this order).
	Unreachable int // no valid PING reply within the ping window
	Silent      int // no hello within the hello window
	Differ      int // its latest hello names another address or config epoch

	// Alone is set when no peer is known and the quorum is above 1: a
	// lone sentinel configured for a group has not found it yet.
	Alone bool
}

// OK reports whether enough of the group agrees.
func (a Agreement) OK() bool { return a.Agree >= a.Need }

// String is the reason HAProxy shows when a is not OK, e.g.
// "no quorum view: 1 of 3 agree, need 2 (2 unreachable)".
func (a Agreement) String() string {
	var b strings.Builder
	b.WriteString("no quorum view: ")
	b.WriteString(strconv.Itoa(a.Agree) + " of " + strconv.Itoa(a.Group) + " agree, need " + strconv.Itoa(a.Need))
	var why []string
	if a.Alone {
		why = append(why, "no peers known")
	}
	for _, c := range []struct {
		n    int
		word string
	}{{a.Unreachable, "unreachable"}, {a.Silent, "silent"}, {a.Differ, "differ"}} {
		if c.n > 0 {
			why = append(why, strconv.Itoa(c.n)+" "+c.word)
		}
	}
	if len(why) > 0 {
		b.WriteString(" (" + strings.Join(why, ", ") + ")")
	}
	return b.String()
}

// AgreeWindows are how recent a peer's last valid PING reply and its last
// hello must be for the peer to count in Agreement. The ping window is two
// ping periods (PingPeriod), so at most half of down-after. Cut at the same
// moment, the minority's last reply from its peers and the majority's last
// reply from the master are each at most a ping period old: the minority
// stops vouching at most 2 periods after the cut, the majority sees the
// master subjectively down at least 3 periods after it (4 periods of
// silence when down-after is under 4 s), and must then still agree, elect
// a leader and promote. That leaves HAProxy a ping period to act on the
// answer (an agent-inter of at most down-after/4). The hello window is
// three publish periods: every peer announces itself on every instance
// and to us each period, so three missed in a row means it no longer
// speaks for this master.
func (m *Machine) AgreeWindows(t Timing) (ping, hello time.Duration) {
	return 2 * m.PingPeriod(t), 3 * t.PublishPeriod
}

// PingPeriod is how often the driver pings each instance: the configured
// period, but at least four pings per down-after period (down time is
// measured from the last valid reply, see checkSDown), and not more often
// than every 20 ms.
func (m *Machine) PingPeriod(t Timing) time.Duration {
	p := m.DownAfter(t) / 4
	if p > t.PingPeriod {
		p = t.PingPeriod
	}
	if p < 20*time.Millisecond {
		p = 20 * time.Millisecond
	}
	return p
}

// ReconnectGap is how long after the last PING to n the next may go out.
// A PING on a link that is down is also the driver's reconnect attempt.
// After one that failed (redialing: the PING before went out on a link
// that was down, and the link is still down) the next waits t.PingPeriod,
// one second, as redis-sentinel waits between reconnects
// (sentinelReconnectInstance), whatever down-after is. The PING period is
// down-after/4: when a host with a thousand masters dies, redialling at
// that pace cost every sentinel 3,600 failed connects in the second
// before the masters were even subjectively down, and a failed connect
// is the largest single item of its CPU while it fails them over
// (BENCHMARKS.md). The first PING after a drop still goes out at the
// usual pace, as redis-sentinel reconnects a link at once when it drops;
// down time is measured from the last answer, not in PINGs sent, so a
// dead instance goes down no later. Peers' links are shared and paced by
// their own PING sharing. Both drivers, production's and the
// simulator's, ask it.
func (m *Machine) ReconnectGap(n *Node, redialing bool, t Timing) time.Duration {
	gap := m.PingPeriod(t) / 2
	if n.Kind != KindSentinel && n.Disconnected && redialing && t.PingPeriod > gap {
		gap = t.PingPeriod
	}
	return gap
}

// Agreement counts who sees the master as we do now: ourselves, and each
// known peer that is reachable (connected, a valid PING reply within the
// ping window), spoke recently (a hello or gossip view within the hello
// window), and whose latest hello names the master we name
// (CurrentMasterAddr) at our config epoch. A majority of ourselves plus
// the known peers must agree. With no peer known the group is ourselves
// alone, which is enough only when the operator configured quorum 1: with
// a higher quorum there is a group we have not found (or lost with our
// state), and it may have moved on without us.
func (m *Machine) Agreement(now time.Time, t Timing) Agreement {
	pingWin, helloWin := m.AgreeWindows(t)
	cur := m.CurrentMasterAddr()
	a := Agreement{Agree: 1, Group: 1 + len(m.Sentinels)}
	a.Need = a.Group/2 + 1
	if len(m.Sentinels) == 0 && m.Config.Quorum > 1 {
		a.Need, a.Alone = m.Config.Quorum, true
	}
	for _, si := range m.Sentinels {
		switch {
		case si.Disconnected || now.Sub(si.At(si.LastAvail)) > pingWin:
			a.Unreachable++
		case si.HelloAt.IsZero() || now.Sub(si.At(si.HelloAt)) > helloWin:
			a.Silent++
		case si.HelloConfigEpoch != m.ConfigEpoch || si.HelloMaster.Port != cur.Port || !m.sameHost(cur.Host, si.HelloMaster.Host):
			a.Differ++
		default:
			a.Agree++
		}
	}
	return a
}
