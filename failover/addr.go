package failover

import (
	"net"
	"strconv"
	"time"
)

// Addr is a host (IP or hostname) and port, as redis-sentinel keeps them.
type Addr struct {
	Host string
	Port int
}

// String renders the address the way redis-sentinel names replicas:
// "ip:port", with IPv6 addresses in brackets.
func (a Addr) String() string {
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// Timing holds the periods redis-sentinel exposes through SENTINEL DEBUG.
// They are fields, not constants, so tests can shrink them and operators can
// tune them at run time exactly as with redis-sentinel.
type Timing struct {
	InfoPeriod             time.Duration // INFO to masters and replicas
	PingPeriod             time.Duration // PING to every instance
	AskPeriod              time.Duration // is-master-down-by-addr while SDOWN
	PublishPeriod          time.Duration // hello on __sentinel__:hello
	DefaultDownAfter       time.Duration // down-after-milliseconds when unset
	DefaultFailoverTimeout time.Duration // failover-timeout when unset
	TiltTrigger            time.Duration // timer jump that enters TILT
	TiltPeriod             time.Duration // how long TILT lasts
	SlaveReconfTimeout     time.Duration // retry SLAVEOF to a replica after
	MinLinkReconnectPeriod time.Duration // bound on link churn
	ElectionTimeout        time.Duration // give up an election after
	ScriptMaxRuntime       time.Duration // kill a script after
	ScriptRetryDelay       time.Duration // first retry delay of a failed script
}

// DefaultTiming returns redis-sentinel 7.0's own numbers (sentinel.c), so a
// drop-in behaves the same on the same config.
func DefaultTiming() Timing {
	return Timing{
		InfoPeriod:             10 * time.Second,
		PingPeriod:             time.Second,
		AskPeriod:              time.Second,
		PublishPeriod:          2 * time.Second,
		DefaultDownAfter:       30 * time.Second,
		DefaultFailoverTimeout: 3 * time.Minute,
		TiltTrigger:            2 * time.Second,
		TiltPeriod:             30 * time.Second,
		SlaveReconfTimeout:     10 * time.Second,
		MinLinkReconnectPeriod: 15 * time.Second,
		ElectionTimeout:        10 * time.Second,
		ScriptMaxRuntime:       time.Minute,
		ScriptRetryDelay:       30 * time.Second,
	}
}
