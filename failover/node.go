package failover

import "time"

// Flag is redis-sentinel's SRI_* bit set, minus the kind bits (see Kind).
type Flag uint32

// Instance flags.
const (
	FlagSDown Flag = 1 << iota
	FlagODown
	FlagMasterDown
	FlagFailoverInProgress
	FlagPromoted
	FlagReconfSent
	FlagReconfInprog
	FlagReconfDone
	FlagForceFailover
	FlagScriptKillSent
	FlagMasterReboot
	FlagCoordFailover // SENTINEL FAILOVER ... COORDINATED in progress (Valkey 9)
)

// Node is one master, replica or peer sentinel as one master's machine
// knows it: every fact the failover decisions are made from. The driver
// reports facts through the Machine's methods; it may read any field, and
// writes only Disconnected and the ping bookkeeping of PingSent.
type Node struct {
	Kind  Kind
	Name  string
	Addr  Addr
	RunID string
	Flags Flag
	// Created is when the machine learned of the node.
	Created time.Time

	// Disconnected is the driver's word on the command link: no valid
	// reply since the last transport failure (or never). Nothing is sent
	// to a disconnected node, and it cannot be promoted.
	Disconnected bool

	ActPing   time.Time // oldest ping without a valid reply; zero when answered
	LastPing  time.Time // last ping sent
	LastAvail time.Time // last valid ping reply (PONG, LOADING, MASTERDOWN)
	LastPong  time.Time // last ping reply of any kind

	SDownSince       time.Time
	ODownSince       time.Time
	MasterRebootFrom time.Time

	InfoRefresh      time.Time
	FailoverReported string // master_failover_state from INFO ("" when absent)
	Info             string // the last INFO text, for SENTINEL DEBUG and views
	RoleReported     Kind
	RoleReportedTime time.Time
	SlaveConfChange  time.Time

	// Replica facts, from its INFO.
	MasterLinkDownTime time.Duration
	SlavePriority      int
	MasterHost         string
	MasterPort         int
	MasterLinkUp       bool
	ReplOffset         uint64
	MasterReplOffset   uint64 // a master's own offset, for replica lag
	ReplicaAnnounced   int
	ReconfSentTime     time.Time

	// Fencing (master only, fence.go): what its last INFO said, what we
	// last asked of it (-1: nothing yet), and since when it is the
	// master of a switch that may lift a fence it inherited.
	Fenced      bool
	FenceSent   int
	FenceSwitch time.Time

	// Peer facts: its last answer to is-master-down-by-addr.
	Leader      string // whom it voted for, "" when unknown
	LeaderEpoch uint64
	LastDownRep time.Time // last answer
	AskBusy     bool      // a question is in flight
	AskSent     time.Time // when it was last asked
	LastHello   time.Time

	// Peer facts: what its latest hello (or gossip view) announced for
	// this master — the master's address and config epoch — and when
	// (zero: no hello yet). The agent's fail-closed verdict counts the
	// peers that see the master as we do (Agreement).
	HelloMaster      Addr
	HelloConfigEpoch uint64
	HelloAt          time.Time

	// Link is the driver's connection state for this node; the machine
	// never reads it.
	Link any
}

// NewNode is a node just learned of. Like redis's createInstanceLink, it
// counts as pinged-but-unanswered from its creation, so one that never
// answers goes down after down-after-milliseconds.
func NewNode(kind Kind, name string, addr Addr, now time.Time) *Node {
	role := kind
	if kind == KindSentinel {
		role = KindMaster
	}
	return &Node{
		Kind:             kind,
		Name:             name,
		Addr:             addr,
		Created:          now,
		Disconnected:     true,
		ActPing:          now,
		LastAvail:        now,
		LastPong:         now,
		LastHello:        now,
		LastDownRep:      now,
		RoleReported:     role,
		RoleReportedTime: now,
		SlaveConfChange:  now,
		SlavePriority:    100,
		ReplicaAnnounced: 1,
		FenceSent:        -1,
	}
}

// Down reports whether the node is subjectively or objectively down.
func (n *Node) Down() bool { return n.Flags&(FlagSDown|FlagODown) != 0 }
