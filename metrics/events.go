package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sentinel"
)

// failoverResults are the results a failover ends with here: ok, timeout
// (+failover-end-for-timeout), and the -failover-abort-<reason> reasons
// package failover emits. Each exists at 0 for every master.
var failoverResults = []string{"ok", "timeout", "not-elected", "no-good-slave", "slave-timeout", "master-timeout"}

// Kinds package event leaves untyped.
const (
	tryFailover event.Kind = "+try-failover"
	monitor     event.Kind = "+monitor"
	unmonitor   event.Kind = "-monitor"
)

// roles are the instance roles of sdown transitions.
var roles = []string{string(event.RoleMaster), string(event.RoleSlave), string(event.RoleSentinel)}

// eventMetrics turns events into series, from the events' fields.
type eventMetrics struct {
	failovers  *prometheus.CounterVec
	switches   *prometheus.CounterVec
	lastSwitch *prometheus.GaugeVec
	sdowns     *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	leader     *prometheus.GaugeVec
	events     *prometheus.CounterVec

	mu     sync.Mutex
	clocks map[string]*outage // by master
}

// outage is what this instance saw of a master's current outage.
type outage struct {
	since    time.Time // first +sdown (or +try-failover) of the master
	led      bool      // this instance was elected leader since
	timedOut bool      // +failover-end-for-timeout seen, +failover-end to come
}

func newEventMetrics() *eventMetrics {
	return &eventMetrics{
		failovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_failovers_total",
			Help: "Failovers this instance tried, by result: ok, timeout (+failover-end-for-timeout), or the abort reason (not-elected, no-good-slave, slave-timeout, master-timeout).",
		}, []string{"master_name", "result"}),
		switches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_master_switches_total",
			Help: "+switch-master events seen by this instance (as leader or from a peer's newer configuration).",
		}, []string{"master_name"}),
		lastSwitch: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "redis_sentinel_master_last_switch_timestamp_seconds",
			Help: "When this instance saw the master's last +switch-master (Unix time); 0: none since start.",
		}, []string{"master_name"}),
		sdowns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_sdown_transitions_total",
			Help: "+sdown events, by instance role.",
		}, []string{"master_name", "role"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "redis_sentinel_failover_duration_seconds",
			Help:    "Observed only by the sentinel that led the failover: from its +sdown of the old master to its +switch-master.",
			Buckets: []float64{0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 180},
		}, []string{"master_name"}),
		leader: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "redis_sentinel_leader",
			Help: "1 while this instance leads a failover of the master.",
		}, []string{"master_name"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_events_total",
			Help: "Sentinel events published by this instance, by type.",
		}, []string{"type"}),
		clocks: map[string]*outage{},
	}
}

func (m *eventMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.failovers, m.switches, m.lastSwitch, m.sdowns, m.duration, m.leader, m.events}
}

// initMasters makes every per-master series exist (at 0) for each master;
// it leaves existing ones as they are.
func (m *eventMetrics) initMasters(vs []sentinel.InstanceView) {
	for _, v := range vs {
		m.initMaster(v.Name)
	}
}

func (m *eventMetrics) initMaster(name string) {
	for _, r := range failoverResults {
		m.failovers.WithLabelValues(name, r)
	}
	for _, r := range roles {
		m.sdowns.WithLabelValues(name, r)
	}
	m.switches.WithLabelValues(name)
	m.lastSwitch.WithLabelValues(name)
	m.duration.WithLabelValues(name)
	m.leader.WithLabelValues(name)
}

// dropMaster removes a master's series after -monitor: a master no longer
// monitored should not look like one that never fails over.
func (m *eventMetrics) dropMaster(name string) {
	l := prometheus.Labels{"master_name": name}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{
		m.failovers, m.switches, m.lastSwitch, m.sdowns, m.duration, m.leader} {
		v.DeletePartialMatch(l)
	}
	m.mu.Lock()
	delete(m.clocks, name)
	m.mu.Unlock()
}

// clock is the master's outage record; the caller holds mu.
func (m *eventMetrics) clock(name string) *outage {
	c := m.clocks[name]
	if c == nil {
		c = &outage{}
		m.clocks[name] = c
	}
	return c
}

// observe turns one event into series.
func (m *eventMetrics) observe(e *event.Event) {
	m.events.WithLabelValues(string(e.Kind)).Inc()
	name := e.Master
	isMaster := e.Instance.Role == event.RoleMaster
	switch e.Kind {
	case monitor:
		m.initMaster(name)
		return
	case unmonitor:
		m.dropMaster(name)
		return
	case event.SDown:
		if e.Instance.Role != "" {
			m.sdowns.WithLabelValues(name, string(e.Instance.Role)).Inc()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.clock(name)
	switch e.Kind {
	case event.SDown, tryFailover:
		// +try-failover starts the clock of a failover forced by SENTINEL
		// FAILOVER, where the master never went down.
		if (isMaster || e.Kind == tryFailover) && c.since.IsZero() {
			c.since = e.Time
		}
	case event.SDownCleared:
		if isMaster && !c.led { // a failover under way keeps its start
			c.since = time.Time{}
		}
	case event.ElectedLeader:
		c.led = true
		m.leader.WithLabelValues(name).Set(1)
	case event.FailoverEndForTimeout:
		c.timedOut = true
	case event.FailoverEnd:
		// One failover, one result: a timed-out one ends with both events.
		result := "ok"
		if c.timedOut {
			result = "timeout"
		}
		m.failovers.WithLabelValues(name, result).Inc()
		m.leader.WithLabelValues(name).Set(0)
		c.timedOut = false
	case event.SwitchMaster:
		m.switches.WithLabelValues(name).Inc()
		m.lastSwitch.WithLabelValues(name).Set(float64(e.Time.UnixNano()) / 1e9)
		if c.led && !c.since.IsZero() {
			m.duration.WithLabelValues(name).Observe(e.Time.Sub(c.since).Seconds())
		}
		*c = outage{}
	default:
		if reason, ok := e.Kind.AbortReason(); ok {
			m.failovers.WithLabelValues(name, reason).Inc()
			m.leader.WithLabelValues(name).Set(0)
			c.led, c.timedOut = false, false
		}
	}
}
