package sentinel

import "github.com/qsentinel/qsentinel/failover"

// The monitored world's vocabulary is the failover state machine's: the
// same types under their old names, so views, the config and the RESP
// layer need not say where they are defined.
type (
	// Addr is a host (IP or hostname) and port, as redis-sentinel keeps them.
	Addr = failover.Addr
	// Kind is what an instance is to us: master, replica or peer sentinel.
	Kind = failover.Kind
	// Timing holds the periods SENTINEL DEBUG exposes.
	Timing = failover.Timing
	// InfoReport is what sentinel reads from an INFO reply.
	InfoReport = failover.InfoReport
	// FailoverState is redis-sentinel's failover state machine position.
	FailoverState = failover.State
)

// Instance kinds.
const (
	KindMaster   = failover.KindMaster
	KindReplica  = failover.KindReplica
	KindSentinel = failover.KindSentinel
)

// DefaultTiming returns redis-sentinel 7.0's own numbers.
func DefaultTiming() Timing { return failover.DefaultTiming() }
