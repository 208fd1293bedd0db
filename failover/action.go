package failover

import "github.com/qsentinel/qsentinel/event"

// ActionKind says what the driver must do for an Action.
type ActionKind int

// What a machine asks of its driver. Every action is about the master the
// machine watches; Node, when set, is the instance it concerns.
const (
	// Emit publishes Event (pub/sub, log, notification script). Its
	// addresses are the machine's; the driver shows them as it reports
	// them (names with announce-hostnames). Node, when set, is the
	// instance the event is about (the driver may log what it knows of
	// its link beside the event).
	Emit ActionKind = iota
	// Persist saves the configuration soon (epochs, votes, instances).
	Persist
	// SlaveOf reconfigures Node to replicate To, or to become a master
	// when To is zero, in one transaction that also rewrites its config
	// and drops its clients (sentinelSendSlaveOf).
	SlaveOf
	// FailoverTo asks the master Node to hand over to To itself
	// (CLIENT PAUSE WRITE + FAILOVER TO, for TimeoutMs), Valkey's
	// coordinated failover.
	FailoverTo
	// KillClients ends the old master's pause of a coordinated failover:
	// CONFIG REWRITE, CLIENT KILL of normal and pub/sub clients, UNPAUSE.
	KillClients
	// ScriptKill sends SCRIPT KILL to Node (it answered BUSY while down).
	ScriptKill
	// Ask sends SENTINEL is-master-down-by-addr to the peer Node for the
	// master's address, with Epoch and RunID ("*" for an opinion only);
	// the answer comes back through PeerReply, a failure through
	// PeerAskFailed.
	Ask
	// RefreshInfo sends INFO to Node now, unless one is in flight.
	RefreshInfo
	// CloseLink drops Node's links; Node may be gone from the machine
	// already (a forgotten replica or peer), or be reconnected later.
	// From, when set, is the address the links were to, where a reset
	// may have put another node (Successor).
	CloseLink
	// Announce makes every instance of the master get our hello at the
	// next tick instead of a publish period later.
	Announce
	// KickGossip tells the membership gossip the master's state changed.
	KickGossip
	// Fence sets the master Node's min-replicas-to-write to Replicas and
	// min-replicas-max-lag to MaxLag (Replicas 0: lifts the fence), and
	// rewrites its config.
	Fence
	// PreFailover runs the pre-failover check of the failover of Node
	// (the master) in Epoch; the result comes back through
	// PreFailoverDone.
	PreFailover
	// ClientReconfig runs the client-reconfig-script: Role ("leader" or
	// "observer"), State ("start"), From and To.
	ClientReconfig
	// DropClients closes the normal clients of the master Node (CLIENT
	// KILL TYPE normal): we were cut off from our group (isolation.go),
	// and its clients must reconnect and ask a sentinel that can decide.
	DropClients
)

// Action is one thing the machine decided the driver must do, in order.
// It is a plain struct (not an interface) so that a tick that decides
// nothing allocates nothing.
type Action struct {
	Kind      ActionKind
	Node      *Node
	To        Addr
	From      Addr
	Epoch     uint64
	RunID     string
	TimeoutMs int64
	Role      string
	State     string
	Event     event.Event
	// Fence: the min-replicas-to-write and min-replicas-max-lag to set.
	Replicas, MaxLag int
	// Unfence: a SlaveOf NO ONE also sets min-replicas-to-write 0.
	Unfence bool
}
