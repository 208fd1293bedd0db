// Package failover is redis-sentinel's decision making for one monitored
// master, as a pure state machine: subjective and objective down, the
// leader election, every failover state from the first vote to
// +switch-master, promotion detection, replica reconfiguration, and
// configurations learned from peers' hellos. A Machine is given the time
// and the facts (PING replies, INFO, hellos, peers' answers and votes) and
// returns, through Ready, the actions its driver must carry out (send
// SLAVEOF or FAILOVER TO, ask peers, emit an event, persist), in the style
// of etcd-io/raft's Step/Ready. It never touches a socket, starts a
// goroutine or a process, or reads a clock: package sentinel drives it
// over real links, package sim over a simulated network, and the same
// decisions come out of both. Vote counting is package quorum's.
package failover
