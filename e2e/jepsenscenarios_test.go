package e2e

import (
	"os"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// A jepsenScenario breaks the rig after the workload warmed up and heals
// it after hold. Faults aim at the current master (r.cur), so that the
// soak can draw them in any order.
type jepsenScenario struct {
	name  string
	hold  time.Duration
	fault func(r *jepsenRig)
	heal  func(r *jepsenRig)
	// skip, if set, says why the scenario does not apply to a setup
	// ("" when it does).
	skip func(s jepsenSetup) string
}

var jepsenScenarios = []jepsenScenario{
	{
		// The master dies and comes back empty (no persistence), as in
		// TestHAProxyCrashFollowsQuorum, now with concurrent clients and
		// a checked history.
		name: "kill -9 master, back empty after 4 s",
		hold: 4 * time.Second,
		fault: func(r *jepsenRig) {
			r.victim = r.cur
			r.redis[r.victim].Kill()
		},
		heal: func(r *jepsenRig) { r.restartRedis(r.victim) },
	},
	{
		// Aphyr's partition (Call me maybe: Redis, 2013): the master and
		// sentinel 0 cut off from sentinels 1, 2 and the replica
		// (replication included); HAProxy and clients still reach both
		// Redis servers. Healed after 6 s.
		name: "master + 1 sentinel cut from 2 sentinels + replica, 6 s",
		hold: 6 * time.Second,
		fault: func(r *jepsenRig) {
			r.partition([]int{0}, r.cur)
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// Aphyr's partition held twice as long: what ours loses is what
		// the old master acknowledged before the sentinels could know
		// (down-after), whatever the partition's length; what the recipe
		// loses grows with it. This row and the 6 s one show the ratio
		// moving with the length.
		name: "master + 1 sentinel cut from 2 sentinels + replica, 12 s",
		hold: 12 * time.Second,
		fault: func(r *jepsenRig) {
			r.partition([]int{0}, r.cur)
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// Issue 17 (c): Aphyr's partition with the sentinel that answers
		// HAProxy's agent-check on the minority side, beside the old
		// master (for redis-sentinel it is Aphyr's partition again: the
		// recipe asks no sentinel).
		name: "master + agent's sentinel cut from 2 sentinels + replica, 6 s",
		hold: 6 * time.Second,
		fault: func(r *jepsenRig) {
			r.partition([]int{agentSentinel}, r.cur)
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// Issue 17 (b): the master cut from every sentinel and from its
		// replica; clients still reach it.
		name: "master cut from sentinels + replica, 6 s",
		hold: 6 * time.Second,
		fault: func(r *jepsenRig) {
			r.partition(nil, r.cur)
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// Issue 17 (e): Aphyr's partition flapping, cut and healed every
		// 300 ms for 6 s.
		name: "Aphyr's partition flapping every 300 ms, 6 s",
		hold: 6 * time.Second,
		fault: func(r *jepsenRig) {
			r.flap(300*time.Millisecond, func() { r.partition([]int{0}, r.cur) })
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// The same with each cut longer than down-after: the sentinels
		// see the master down, then up, then down again.
		name: "Aphyr's partition flapping every 1.5 s, 9 s",
		hold: 9 * time.Second,
		fault: func(r *jepsenRig) {
			r.flap(1500*time.Millisecond, func() { r.partition([]int{0}, r.cur) })
		},
		heal: func(r *jepsenRig) { r.heal() },
	},
	{
		// Issue 17 (f), first part: the master frozen (SIGSTOP) past
		// down-after, then resumed still claiming master.
		name: "SIGSTOP master 4 s",
		hold: 4 * time.Second,
		fault: func(r *jepsenRig) {
			r.victim = r.cur
			r.freeze(r.redis[r.victim].Process)
		},
		heal: func(r *jepsenRig) { r.thaw(r.redis[r.victim].Process) },
	},
	{
		// Issue 17 (d): the agent dead. Our agent's sentinel (the one
		// HAProxy asks) is killed, then the master 2 s later; both come
		// back after the failover. The generated config's health check
		// asks the agent too (--agent-liveness), so a dead agent takes
		// every server down: HAProxy's clients are refused, not routed by
		// a frozen verdict, until the agent answers again; the
		// FailoverClients follow the two live sentinels. For the recipe
		// the same physical faults (it asks no sentinel).
		name: "agent's sentinel kill -9, then master kill -9 2 s later; back after 6 s",
		hold: 6 * time.Second,
		fault: func(r *jepsenRig) {
			if r.setup.impl == cluster.Ours {
				r.note("a dead agent fails every server's health check: HAProxy refuses clients until it answers again")
			} else {
				r.note("the recipe asks no sentinel")
			}
			r.ss[agentSentinel].Kill()
			time.Sleep(2 * time.Second)
			r.victim = r.cur
			r.redis[r.victim].Kill()
		},
		heal: func(r *jepsenRig) {
			r.restartSentinel(agentSentinel)
			r.victimBackAfterFailover()
		},
	},
	// Issue 17 (f): the master killed, then the failover's leader
	// killed right after it chose the replica (+selected-slave, a step
	// only the leader takes), before it promoted it; it comes back 3 s
	// later.
	leaderFault("master kill -9, then the failover leader kill -9 at +selected-slave; leader back after 3 s",
		"+selected-slave", 3*time.Second,
		func(r *jepsenRig, k int) { r.ss[k].Kill() },
		func(r *jepsenRig, k int) { r.restartSentinel(k) }),
	// Issue 17 (f): the leader frozen (SIGSTOP) 4 s right after it
	// promoted the replica (+promoted-slave), before it told anyone.
	leaderFault("master kill -9, then the failover leader SIGSTOP 4 s at +promoted-slave",
		"+promoted-slave", 4*time.Second,
		func(r *jepsenRig, k int) { r.freeze(r.ss[k].Process) },
		func(r *jepsenRig, k int) { r.thaw(r.ss[k].Process) }),
	{
		// Issue 17 (g), as the process sees it: a sentinel frozen 3 s
		// finds 3 s gone at its next tick, exactly as after a forward jump
		// of its wall clock with no ticks in between, and enters TILT (both
		// implementations). Not a real clock jump: that is the next
		// scenario, which moves the whole machine's clock.
		name:  "sentinel 1 SIGSTOP 3 s (TILT as after a clock jump)",
		hold:  3 * time.Second,
		fault: func(r *jepsenRig) { r.freeze(r.ss[1].Process) },
		heal:  func(r *jepsenRig) { r.thaw(r.ss[1].Process) },
	},
	{
		// Issue 17 (g): the machine's wall clock jumps 10 s ahead and
		// back 3 s later. Every process on the host shares it, so this
		// runs only when asked (QSENTINEL_JEPSEN_CLOCK=1) on a machine
		// running nothing else; the history's times are monotonic
		// (package history) and do not jump with it.
		name: "machine wall clock +10 s, back after 3 s",
		hold: 3 * time.Second,
		skip: func(jepsenSetup) string {
			if os.Getenv("QSENTINEL_JEPSEN_CLOCK") == "" {
				return "jumps the wall clock of every process on this host (other tests' sentinels enter TILT): set QSENTINEL_JEPSEN_CLOCK=1 on a machine running nothing else"
			}
			return ""
		},
		fault: func(r *jepsenRig) { r.jumpClock(10 * time.Second) },
		heal:  func(r *jepsenRig) { r.restoreClock() },
	},
	{
		// Issue 17 item 2, the client <-> HAProxy link: the connections of
		// half of HAProxy's clients (those through fproxy) held 5 s, then
		// delivered: writes they gave up on arrive late.
		name:  "client <-> HAProxy link held 5 s for half the HAProxy clients",
		hold:  5 * time.Second,
		fault: func(r *jepsenRig) { r.fproxy.Set("", cluster.Cut) },
		heal:  func(r *jepsenRig) { r.fproxy.Heal() },
	},
	{
		// Issue 17 item 2, the HAProxy <-> agent link held 6 s: the agent
		// check and the health check's agent ping time out. What HAProxy
		// does then is what its clients see (the generated config fails
		// closed: every server down). The recipe asks no agent.
		name: "HAProxy <-> agent link held 6 s",
		hold: 6 * time.Second,
		skip: func(s jepsenSetup) string {
			if s.impl != cluster.Ours {
				return "the tcp-check recipe asks no agent"
			}
			return ""
		},
		fault: func(r *jepsenRig) { r.aproxy.Set("", cluster.Cut) },
		heal:  func(r *jepsenRig) { r.aproxy.Heal() },
	},
}

// leaderFault kills the master, waits for the failover's leader to take
// step (an event only the leader publishes) and does act to it; the heal
// undoes act and brings the master back once the failover is done.
func leaderFault(name, step string, hold time.Duration, act, undo func(r *jepsenRig, k int)) jepsenScenario {
	return jepsenScenario{
		name: name,
		hold: hold,
		fault: func(r *jepsenRig) {
			mark := r.eventMark()
			r.victim = r.cur
			r.redis[r.victim].Kill()
			r.leader = r.waitLeader(step, mark, 30*time.Second)
			act(r, r.leader)
			if r.setup.impl == cluster.Ours && r.leader == agentSentinel {
				r.note("leader: sentinel %d, the agent's", r.leader)
			} else {
				r.note("leader: sentinel %d", r.leader)
			}
		},
		heal: func(r *jepsenRig) {
			undo(r, r.leader)
			r.victimBackAfterFailover()
		},
	}
}
