// Package simsentinel is a sentinel in the simulator: the same
// failover.Machine that package sentinel drives over real links, driven
// here over package sim's in-memory network, with a sim.Client for its
// links, the world's clock and seeded random source, and its state on the
// endpoint's sim.Disk. Only the transport differs from production; every
// decision (down, agreement, votes, failover states, hellos) is the
// machine's.
//
// What it leaves out of production: the RESP server beyond what peers ask
// (PING, SENTINEL is-master-down-by-addr), scripts and hooks (their
// actions are traced), the membership gossip (peers find each other by
// hellos only), announce-hostnames and name resolution. A peer's PING is
// shared by every master's group as in production (peerlink.go); vote
// requests go on a second connection per peer, as production's askVote.
//
// Saves are instant unless Options.SaveTimes says how long each takes
// (disk.go): then they go through production's group commit, and a vote's
// reply, with every reply behind it on its connection, waits for the save
// that covers it as respserver holds it (replies.go). Beside the Ledger's
// invariants, the checks of reach.go judge every belief of being cut off
// (a peer's PINGs unanswered, a peer down, a master no longer named or
// its clients dropped) against the world's ground truth of faults
// (sim.World.Calm), and evidence.go checks every +odown against the
// peers' answers the simulator delivered about the master's address.
package simsentinel
