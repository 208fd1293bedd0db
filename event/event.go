package event

import "time"

// Kind is the event's name, which is also its pub/sub channel ("+sdown").
type Kind string

// The kinds whose fields are typed, and the ones consumers act on. Every
// other kind redis-sentinel publishes is a Kind too, with its details in
// Text.
const (
	SwitchMaster          Kind = "+switch-master"   // Master, From, To
	NewEpoch              Kind = "+new-epoch"       // Epoch
	VoteForLeader         Kind = "+vote-for-leader" // Leader, Epoch
	ODown                 Kind = "+odown"           // Instance, Votes, Quorum
	ODownCleared          Kind = "-odown"
	SDown                 Kind = "+sdown"
	SDownCleared          Kind = "-sdown"
	ConvertToSlave        Kind = "+convert-to-slave"
	ElectedLeader         Kind = "+elected-leader"
	FailoverEnd           Kind = "+failover-end"
	FailoverEndForTimeout Kind = "+failover-end-for-timeout"
	Tilt                  Kind = "+tilt"
	TiltCleared           Kind = "-tilt"
	ScriptError           Kind = "-script-error"   // Text: "<path> <signal> <exit code>"
	ScriptTimeout         Kind = "-script-timeout" // Text: "<path> <pid>"
)

// failoverAbortPrefix starts every kind that ends a failover attempt
// without a switch (-failover-abort-not-elected, ...).
const failoverAbortPrefix = "-failover-abort-"

// AbortReason is, for a -failover-abort-<reason> kind, the reason.
func (k Kind) AbortReason() (string, bool) {
	if len(k) > len(failoverAbortPrefix) && string(k[:len(failoverAbortPrefix)]) == failoverAbortPrefix {
		return string(k[len(failoverAbortPrefix):]), true
	}
	return "", false
}

// Level is redis's log level of an event; it decides who sees the event:
// debug events are only logged, warnings also run the notification script.
type Level int

// Redis log levels, lowest first.
const (
	LevelDebug Level = iota
	LevelVerbose
	LevelNotice
	LevelWarning
)

// Role is what an instance is, in redis-sentinel's words.
type Role string

// The roles; the zero Role means the event is about no instance.
const (
	RoleMaster   Role = "master"
	RoleSlave    Role = "slave"
	RoleSentinel Role = "sentinel"
)

// Addr is a host and port as the event shows them: the producer fills in
// the host it reports (an IP, or a name with announce-hostnames).
type Addr struct {
	Host string
	Port int
}

// Instance is the instance an event is about (redis-sentinel's "%@").
type Instance struct {
	Role Role // "" when the event is about no instance
	Name string
	Addr Addr
	// MasterName and MasterAddr: the master a replica or sentinel belongs
	// to (unset for a master).
	MasterName string
	MasterAddr Addr
}

// Event is one sentinel event. Events are values: comparable, and safe
// to share once published (subscribers must not change them).
type Event struct {
	Time  time.Time
	Level Level
	Kind  Kind
	// Master is the name of the master the event belongs to, "" for the
	// global ones (TILT, script events). Hooks order their runs by it and
	// metrics label by it; the payload shows it only where redis-sentinel
	// does (+switch-master, and the instance's master).
	Master   string
	Instance Instance

	From, To Addr   // SwitchMaster: the old and the new master
	Epoch    uint64 // NewEpoch, VoteForLeader
	Leader   string // VoteForLeader: the run id voted for
	Votes    int    // ODown: sentinels that agree, ourselves included
	Quorum   int    // ODown: the master's quorum
	// Text is what follows the instance for every kind without typed
	// fields ("+sentinel-address-switch", "+tilt", "+set", script events).
	Text string
}
