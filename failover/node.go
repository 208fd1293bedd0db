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
	// Disconnected is the driver's word on the command link: no valid
	// reply since the last transport failure (or never). Nothing is sent
	// to a disconnected node, and it cannot be promoted. (The node's
	// booleans sit together beside Flags: each alone costs a word.)
	Disconnected bool
	MasterLinkUp bool // a replica's, from its INFO
	Fenced       bool // a master's: its last INFO said it was fenced (fence.go)
	AskBusy      bool // a peer's: a question is in flight
	// Created is when the machine learned of the node, and the base of
	// its Stamps.
	Created time.Time

	ActPing   Stamp // oldest ping without a valid reply; zero when answered
	LastPing  Stamp // last ping sent
	LastAvail Stamp // last valid ping reply (PONG, LOADING, MASTERDOWN)
	LastPong  Stamp // last ping reply of any kind

	SDownSince       Stamp
	ODownSince       Stamp
	MasterRebootFrom Stamp

	InfoRefresh      Stamp
	FailoverReported string // master_failover_state from INFO ("" when absent)
	Info             string // the last INFO text, for SENTINEL DEBUG and views
	RoleReported     Kind
	RoleReportedTime Stamp
	SlaveConfChange  Stamp

	// Replica facts, from its INFO.
	MasterLinkDownTime time.Duration
	SlavePriority      int
	MasterHost         string
	MasterPort         int
	ReplOffset         uint64
	MasterReplOffset   uint64 // a master's own offset, for replica lag
	ReplicaAnnounced   int
	ReconfSentTime     Stamp

	// Fencing (master only, fence.go; Fenced is what its last INFO
	// said): what we last asked of it (-1: nothing yet), and since when
	// it is the master of a switch that may lift a fence it inherited.
	FenceSent   int
	FenceSwitch Stamp

	// Peer facts: its last answer to is-master-down-by-addr.
	Leader      string // whom it voted for, "" when unknown
	LeaderEpoch uint64
	LastDownRep Stamp // last answer
	AskSent     Stamp // when it was last asked
	LastHello   Stamp

	// Peer facts: what its latest hello (or gossip view) announced for
	// this master — the master's address and config epoch — and when
	// (zero: no hello yet). The agent's fail-closed verdict counts the
	// peers that see the master as we do (Agreement).
	HelloMaster      Addr
	HelloConfigEpoch uint64
	HelloAt          Stamp

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
		ActPing:          createdStamp,
		LastAvail:        createdStamp,
		LastPong:         createdStamp,
		LastHello:        createdStamp,
		LastDownRep:      createdStamp,
		RoleReported:     role,
		RoleReportedTime: createdStamp,
		SlaveConfChange:  createdStamp,
		SlavePriority:    100,
		ReplicaAnnounced: 1,
		FenceSent:        -1,
	}
}

// Down reports whether the node is subjectively or objectively down.
func (n *Node) Down() bool { return n.Flags&(FlagSDown|FlagODown) != 0 }
