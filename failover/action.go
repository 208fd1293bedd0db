package failover

// ActionKind says what the driver must do for an Action.
type ActionKind int

// What a machine asks of its driver. Every action is about the master the
// machine watches; Node, when set, is the instance it concerns.
const (
	// Emit publishes Event (pub/sub, log, notification script).
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
	CloseLink
	// Announce makes every instance of the master get our hello at the
	// next tick instead of a publish period later.
	Announce
	// KickGossip tells the membership gossip the master's state changed.
	KickGossip
	// ClientReconfig runs the client-reconfig-script: Role ("leader" or
	// "observer"), State ("start"), From and To.
	ClientReconfig
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
	Event     Event
}

// Event is an event as the machine decided it: its channel and level, the
// instance it is about, and the master's address at that moment (a later
// action of the same step may have switched it). The driver renders it
// the way redis-sentinel does ("%@" details, then Text).
type Event struct {
	Level Level
	Type  string
	// Instance, when HasInstance, is the node the event is about, as it
	// was when the event was decided.
	HasInstance  bool
	InstanceKind Kind
	InstanceName string
	InstanceAddr Addr
	MasterAddr   Addr
	// From and To are the old and new master of a +switch-master.
	From, To Addr
	Text     string
}

// Level is redis's log level of an event; it decides who sees it: debug
// events are only logged, warnings also run the notification script.
type Level int

// Redis log levels, lowest first.
const (
	LevelDebug Level = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)
