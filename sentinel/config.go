package sentinel

import (
	"errors"
	"fmt"
	"github.com/qsentinel/qsentinel/failover"
	"time"
)

// RenamedCommand is one "sentinel rename-command" entry.
type RenamedCommand struct {
	Command string
	Renamed string
}

// MasterConfig is what an operator configures for one monitored master.
type MasterConfig struct {
	Name                 string
	Addr                 Addr
	Quorum               int
	DownAfter            time.Duration // 0 means Timing.DefaultDownAfter
	FailoverTimeout      time.Duration // 0 means Timing.DefaultFailoverTimeout
	ParallelSyncs        int           // 0 means 1
	AuthPass             string
	AuthUser             string
	NotificationScript   string
	ClientReconfigScript string
	RenameCommands       []RenamedCommand
	RebootDownAfter      time.Duration // master-reboot-down-after-period; 0 = off
	FenceReplicas        int           // fence-min-replicas; 0 = off (failover/fence.go)
	FenceMaxLag          int           // fence-max-lag in seconds; 0 = failover.DefaultFenceMaxLag
	Maintenance          bool          // maintenance: no automatic failover (failover/hold.go)
	BlockPeriod          time.Duration // failover-block-period; 0 = off
	PreFailoverScript    string        // pre-failover-script: its failure vetoes a failover we lead
	OpenWhenIsolated     bool          // fail-closed no: named to clients even when cut off (failover/isolation.go)
}

// KnownSentinel is a peer remembered across restarts (the machine's
// failover.KnownPeer).
type KnownSentinel = failover.KnownPeer

// MasterState is a master's configuration plus the state that survives a
// restart (the "sentinel config-epoch/leader-epoch/known-*" lines).
type MasterState struct {
	MasterConfig
	ConfigEpoch    uint64
	LeaderEpoch    uint64
	KnownReplicas  []Addr
	KnownSentinels []KnownSentinel
}

// Config is the whole persisted sentinel: loaded at start, handed to the
// Store after every change. The same struct goes both ways so that load and
// save cannot drift apart.
type Config struct {
	MyID                string
	CurrentEpoch        uint64
	Port                int // our own port, announced in hello unless AnnouncePort
	AnnounceIP          string
	AnnouncePort        int
	ResolveHostnames    bool
	AnnounceHostnames   bool
	DenyScriptsReconfig bool
	SentinelUser        string
	SentinelPass        string
	// LogLevel is set by SENTINEL CONFIG SET loglevel (redis 7.2), for the
	// rewrite to persist; "" leaves the file's loglevel line alone.
	LogLevel string
	Timing   Timing
	Masters  []MasterState
}

// DefaultConfig returns a config with redis-sentinel's defaults and no masters.
func DefaultConfig() Config {
	return Config{
		Port:                26379,
		DenyScriptsReconfig: true, // redis-sentinel's default: scripts are set only in the file
		Timing:              DefaultTiming(),
	}
}

// Validate reports the first problem that would stop redis-sentinel from
// starting with this config.
func (c *Config) Validate() error {
	if c.MyID != "" && !ValidRunID(c.MyID) {
		return fmt.Errorf("myid: %q is not 40 hex characters", c.MyID)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port: %d out of range", c.Port)
	}
	seen := map[string]bool{}
	for _, m := range c.Masters {
		if m.Name == "" {
			return errors.New("monitor: empty master name")
		}
		if seen[m.Name] {
			return fmt.Errorf("monitor %s: duplicate master name", m.Name)
		}
		seen[m.Name] = true
		if m.Quorum <= 0 {
			return fmt.Errorf("monitor %s: quorum must be 1 or greater", m.Name)
		}
		if m.Addr.Port < 0 || m.Addr.Port > 65535 {
			return fmt.Errorf("monitor %s: invalid port %d", m.Name, m.Addr.Port)
		}
		if m.DownAfter < 0 || m.FailoverTimeout < 0 || m.ParallelSyncs < 0 {
			return fmt.Errorf("master %s: negative setting", m.Name)
		}
	}
	return nil
}

// ValidRunID reports whether s looks like a redis run id: 40 hex characters.
func ValidRunID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Store persists the config. Save must be atomic: after a crash at any
// moment the stored copy is either the old or the new one, never a mix.
type Store interface {
	Save(cfg *Config) error
}
