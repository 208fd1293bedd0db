package failover

import "time"

// DefaultRedialsPerSecond is RedialBudget's rate when none is set. A
// sentinel with fewer instances than this refusing its connects redials
// each of them once a second, as redis-sentinel does; above it, each is
// redialled less often, never more than this many a second in all.
//
// Why a bound: when a host with thousands of Redis ports loses them, every
// sentinel redials every one of them every second until they return. A
// refused connect costs a socket, a connect, a close and a wake of the
// event loop; at 4,990 dead masters (three sentinels on two CPUs,
// BENCHMARKS.md) the loops spent the seconds after the kill on refusals
// they had fallen behind on, and judged the masters down tens of seconds
// late or not at all.
const DefaultRedialsPerSecond = 500

// RedialBudget shares a rate of redials among the instances whose last
// connect was refused (Budgeted): a token bucket, refilled by time,
// holding at most a fifth of a second's worth. A refusal says that
// nothing listens on the port: the process is gone, or restarting, and a
// later redial can only see it return. Down time is measured from the
// last answer, not in PINGs sent, so a redial that waits delays no
// failure detection.
//
// Every other redial goes out at the usual pace, unbudgeted: the first
// after a link drops (a live instance is back before it could be judged
// down), and one after a connect that timed out. A host too busy to
// accept connects in time looks like that: at 1,000 masters, budgeting
// those too held back the redials to masters just promoted (their other
// clients' links were killed, as redis-sentinel's CLIENT KILL does) until
// the sentinels judged them down and failed them over again.
//
// It only gates when a redial may go out; the driver decides what is due
// (ReconnectGap). Not safe for concurrent use.
type RedialBudget struct {
	// PerSecond is the rate; zero means DefaultRedialsPerSecond.
	PerSecond int

	tokens float64
	filled bool // tokens was set once: a new budget starts full
	last   time.Time
	denied bool // Allow refused a redial since the last Refill
	// from is the master the next tick starts at (Start), moved is
	// whether this tick has moved it already (Ticked).
	from  int
	moved bool
}

// Budgeted says whether a redial to n counts against the budget: n is a
// Redis instance (peers' links are shared and paced by PING sharing), its
// command link is down, and its last connect was refused.
func Budgeted(n *Node, refused bool) bool {
	return n.Kind != KindSentinel && n.Disconnected && refused
}

// Refill adds the tokens earned since the last Refill; the driver calls
// it once at the start of each tick, before Start.
func (b *RedialBudget) Refill(now time.Time) {
	b.fill()
	if d := now.Sub(b.last); !b.last.IsZero() && d > 0 {
		b.tokens = min(b.tokens+d.Seconds()*float64(b.rate()), b.ceiling())
	}
	b.last = now
	b.denied, b.moved = false, false
}

// Start is the index, of the n masters a driver walks in a fixed order,
// that this tick begins at: the first master whose redial the budget
// refused in the tick before (Ticked), so the budget goes round all of
// them instead of to the same first few every second.
func (b *RedialBudget) Start(n int) int {
	if b.from >= n {
		b.from = 0
	}
	return b.from
}

// Ticked tells the budget that the master at index at has had its tick:
// the first at which a redial was refused is where the next tick starts.
func (b *RedialBudget) Ticked(at int) {
	if b.denied && !b.moved {
		b.from, b.moved = at, true
	}
}

// Allow says whether a redial to n may go out now, and takes a token if
// it is Budgeted. A redial it refuses stays due: the driver asks again at
// its next tick.
func (b *RedialBudget) Allow(n *Node, refused bool) bool {
	if !Budgeted(n, refused) {
		return true
	}
	b.fill()
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	b.denied = true
	return false
}

// fill starts a new budget full, whether Refill or Allow comes first.
func (b *RedialBudget) fill() {
	if !b.filled {
		b.tokens, b.filled = b.ceiling(), true
	}
}

// ceiling is how many tokens the bucket holds: a fifth of a second's
// worth, so the redials a stall saved up do not all go out in one tick.
func (b *RedialBudget) ceiling() float64 {
	return max(float64(b.rate())/5, 1)
}

func (b *RedialBudget) rate() int {
	if b.PerSecond > 0 {
		return b.PerSecond
	}
	return DefaultRedialsPerSecond
}

// Successor is the node a reset put at the address whose links a
// CloseLink action closed (its From), or nil. A switch keeps the master's
// node, moved to the promoted replica, and adds a new replica node at the
// old master's address; a reset adds new replica nodes where it forgot
// the old ones. A driver hands on what the closed link had just learnt of
// that address: a refused connect. The successor's first dial is then
// budgeted as a redial (Budgeted), as the closed link's next would have
// been. Dialled at once instead, when a host with a thousand masters
// died, the thousand replica entries the switches left at the dead
// masters' addresses cost every sentinel a thousand refused connects in
// the second the failovers needed its CPU. Both drivers, production's and
// the simulator's, ask it. The successor is disconnected and, made in the
// step whose actions the driver is applying, has never been dialled.
func (m *Machine) Successor(a Action) *Node {
	if a.Kind != CloseLink || a.From == (Addr{}) {
		return nil
	}
	r := m.Replicas[a.From.String()]
	if r == nil || r == a.Node || !r.Disconnected {
		return nil
	}
	return r
}
