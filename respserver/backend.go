package respserver

import (
	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sentinel"
)

// The monitor as the RESP face sees it, split by command family so that a
// handler's needs (and a test's fake) are visible at a glance. Backend
// composes them; *sentinel.Sentinel is the one production implementation.
// Every method must be safe for concurrent use, and views must be copies:
// handlers run on client goroutines while the monitor keeps working.

// Views answers the read-only SENTINEL subcommands (MASTERS, MASTER,
// REPLICAS, SENTINELS, GET-MASTER-ADDR-BY-NAME, CKQUORUM, INFO-CACHE,
// PENDING-SCRIPTS, MYID, CONFIG GET, DEBUG with no arguments) and ROLE.
type Views interface {
	MyID() string
	MasterNames() []string // sorted
	Masters() []sentinel.InstanceView
	Master(name string) (sentinel.InstanceView, error) // sentinel.ErrNoSuchMaster
	Replicas(name string) ([]sentinel.InstanceView, error)
	Sentinels(name string) ([]sentinel.InstanceView, error)
	MasterAddr(name string) (sentinel.Addr, bool)
	// ClientMasterAddr is GET-MASTER-ADDR-BY-NAME's answer: MasterAddr,
	// but none while this sentinel is cut off from its group.
	ClientMasterAddr(name string) (sentinel.Addr, bool)
	CKQuorum(name string) (string, bool, error)
	InfoCache(names []string) []sentinel.InfoCacheEntry // nil names: every master
	PendingScripts() []sentinel.PendingScript
	ConfigGet(patterns ...string) []sentinel.Field
	DebugGet() []sentinel.Field
}

// Admin changes the monitored world: SENTINEL MONITOR, REMOVE, SET, RESET,
// FLUSHCONFIG, CONFIG SET, DEBUG with arguments, SIMULATE-FAILURE,
// FAILOVER and our SWITCHOVER.
type Admin interface {
	Monitor(name, host string, port, quorum int) error
	Remove(name string) error
	Set(name string, args []string) error // option/value pairs
	Reset(pattern string) int
	FlushConfig() error
	ConfigSet(pairs ...string) error // param value [param value ...]
	DebugSet(args []string) error
	SimulateFailure(flags []string) error
	Failover(name string) error
	Switchover(name string) error
}

// Peers is what other sentinels ask of us: votes and down opinions
// (SENTINEL IS-MASTER-DOWN-BY-ADDR) and hellos sent by PUBLISH.
type Peers interface {
	// IsMasterDownByAddr answers IS-MASTER-DOWN-BY-ADDR; when the reply
	// has Saved, it must return before the reply is written (the server
	// holds the client's replies meanwhile, not its commands).
	IsMasterDownByAddr(host string, port int, epoch uint64, runID string) sentinel.DownReply
	// ProcessHello takes a hello sent by PUBLISH; payload is valid only
	// during the call (it is the client's read buffer).
	ProcessHello(payload []byte)
}

// EventSource feeds pub/sub: every event the monitor publishes reaches the
// subscribers of its channel.
type EventSource interface {
	Events() *event.Bus
}

// Stats fills INFO's sentinel section and our opt-in gossip section.
type Stats interface {
	Info() sentinel.InfoSummary
	GossipMembers() int // -1 when gossip is off
}

// Backend is everything the RESP face needs from the monitor.
type Backend interface {
	Views
	Admin
	Peers
	EventSource
	Stats
}

// The production implementation, checked at compile time here because
// sentinel cannot import respserver.
var (
	_ Views       = (*sentinel.Sentinel)(nil)
	_ Admin       = (*sentinel.Sentinel)(nil)
	_ Peers       = (*sentinel.Sentinel)(nil)
	_ EventSource = (*sentinel.Sentinel)(nil)
	_ Stats       = (*sentinel.Sentinel)(nil)
	_ Backend     = (*sentinel.Sentinel)(nil)
)
