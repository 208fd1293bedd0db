package sentinel

import "time"

// ReplyError is an error whose text is sent to the client verbatim as a RESP
// error (without the leading '-'), e.g. "ERR No such master with that name".
type ReplyError struct{ Msg string }

func (e *ReplyError) Error() string { return e.Msg }

// Errors with redis-sentinel's exact texts.
var (
	ErrNoSuchMaster     = &ReplyError{"ERR No such master with that name"}
	ErrDuplicateMaster  = &ReplyError{"ERR Duplicate master name."}
	ErrInvalidAddress   = &ReplyError{"ERR Invalid IP address or hostname specified"}
	ErrInvalidPortRange = &ReplyError{"ERR Invalid port number."}
	ErrInProgress       = &ReplyError{"INPROG Failover already in progress"}
	ErrNoGoodSlave      = &ReplyError{"NOGOODSLAVE No suitable replica to promote"}
	ErrScriptsDenied    = &ReplyError{"ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"}
)

// Public API used by the RESP face (respserver) and the status/metrics
// views. Every method is safe for concurrent use; views are copies.
//
//	MyID() string
//	CurrentEpoch() uint64
//	Events() *Bus
//	MasterNames() []string                       // sorted
//	Masters() []InstanceView                     // SENTINEL MASTERS, sorted by name
//	Master(name) (InstanceView, error)           // ErrNoSuchMaster
//	Replicas(name) ([]InstanceView, error)
//	Sentinels(name) ([]InstanceView, error)
//	MasterAddr(name) (Addr, bool)                // get-master-addr-by-name
//	Monitor(name, host string, port, quorum int) error
//	Remove(name) error
//	Set(name string, args []string) error        // option/value pairs
//	Reset(pattern string) int
//	CKQuorum(name) (usable int, msg string, ok bool, err error)
//	IsMasterDownByAddr(host string, port int, epoch uint64, runid string) DownReply
//	InfoCache(names []string) []InfoCacheEntry   // nil names: all masters
//	Info() InfoSummary
//	ProcessHello(payload string)
//	FlushConfig() error
//	ConfigGet(patterns ...string) []Field
//	ConfigSet(pairs ...string) error           // param value [param value ...]
//	DebugGet() []Field                           // SENTINEL DEBUG
//	DebugSet(args []string) error
//	SimulateFailure(flags []string) error
//	Failover(name) error
//	PendingScripts() []PendingScript
var _ = time.Second
