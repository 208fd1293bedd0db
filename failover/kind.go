package failover

// Kind is what an instance is to us: a monitored master, one of its
// replicas, or a peer sentinel watching the same master.
type Kind int

// Instance kinds.
const (
	KindMaster Kind = iota
	KindReplica
	KindSentinel
)

// String is the word redis-sentinel uses in events ("slave", not "replica").
func (k Kind) String() string {
	switch k {
	case KindMaster:
		return "master"
	case KindReplica:
		return "slave"
	default:
		return "sentinel"
	}
}
