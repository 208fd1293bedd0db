package sentinel

import "time"

// Field is one key/value pair of a SENTINEL MASTER/REPLICAS/SENTINELS entry,
// already formatted the way redis-sentinel sends it (every value is a bulk
// string, numbers included).
type Field struct {
	Key   string
	Value string
}

// InstanceView is a read-only copy of one instance, taken under the owner's
// lock. Fields holds the reply entries in redis-sentinel's exact order.
type InstanceView struct {
	Name   string
	Addr   Addr
	RunID  string
	Flags  string // comma list, redis-sentinel's vocabulary and order
	Fields []Field
}

// Get returns the value of a field by key.
func (v InstanceView) Get(key string) (string, bool) {
	for _, f := range v.Fields {
		if f.Key == key {
			return f.Value, true
		}
	}
	return "", false
}

// MasterSummary is one "masterN:" line of INFO's # Sentinel section.
type MasterSummary struct {
	Name      string
	Status    string // ok, sdown or odown
	Addr      Addr   // current master address (promoted replica once reconfiguring)
	Replicas  int
	Sentinels int // peers plus this instance
}

// InfoSummary is what INFO's # Sentinel section reports.
type InfoSummary struct {
	Masters             []MasterSummary
	Tilt                bool
	TiltSince           time.Duration // -1 when not in TILT (sentinel_tilt_since_seconds)
	TotalTilt           int           // times TILT was entered since start (sentinel_total_tilt)
	RunningScripts      int
	ScriptsQueueLength  int
	SimulateFailureFlag int
}

// CachedInfo is one instance's last INFO reply for SENTINEL INFO-CACHE.
type CachedInfo struct {
	Age  time.Duration // since it was received; 0 when never
	Info string
	Has  bool // false when no INFO was received yet (reply is a null)
}

// InfoCacheEntry is one master of SENTINEL INFO-CACHE: the master first,
// then its replicas.
type InfoCacheEntry struct {
	Name      string
	Instances []CachedInfo
}

// PendingScript is one entry of SENTINEL PENDING-SCRIPTS.
type PendingScript struct {
	Argv       []string
	Flags      string // "running" or "scheduled"; ",hook" appended for a hook's run
	PID        int
	RunTime    time.Duration // when running
	RunDelay   time.Duration // when scheduled
	RetryCount int
}

// DownReply answers SENTINEL IS-MASTER-DOWN-BY-ADDR.
type DownReply struct {
	Down        bool
	Leader      string // "*" when no vote was asked or given
	LeaderEpoch uint64
	// Saved, when set, returns once the vote this reply carries is on
	// disk: the reply must not leave before (a restart must never vote
	// again in the same epoch). The caller may go on with the peer's
	// next commands meanwhile (its hellos must not wait for our fsync).
	Saved func() error
}
