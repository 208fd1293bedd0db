// Package metrics serves Prometheus metrics and a health check over HTTP.
//
// Per-master state is read from the sentinel at scrape time under
// oliver006/redis_exporter's metric names, so dashboards built for
// redis_exporter against redis-sentinel keep working. Event-driven series
// (failovers by result, failover duration, sdown transitions, leadership)
// are what redis-sentinel cannot tell.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sentinel"
)

// Source is what the metrics read; *sentinel.Sentinel implements it.
type Source interface {
	Info() sentinel.InfoSummary
	Masters() []sentinel.InstanceView
	Replicas(name string) ([]sentinel.InstanceView, error)
	Sentinels(name string) ([]sentinel.InstanceView, error)
	CKQuorum(name string) (string, bool, error)
	Agreement(name string) (failover.Agreement, error)
	CurrentEpoch() uint64
	Events() *event.Bus
}

// Server is the HTTP endpoint with its registry.
type Server struct {
	src    Source
	logger *slog.Logger
	reg    *prometheus.Registry
	ln     net.Listener

	failovers *prometheus.CounterVec
	switches  *prometheus.CounterVec
	sdowns    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	leader    *prometheus.GaugeVec
	events    *prometheus.CounterVec
	hooks     *hookMetrics
	mu        sync.Mutex
	downSince map[string]time.Time // master -> first +sdown of the current outage
}

// New registers the collectors and opens the listener on addr.
func New(addr string, src Source, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{src: src, logger: logger, reg: prometheus.NewRegistry(), downSince: map[string]time.Time{}}
	s.failovers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redis_sentinel_failovers_total",
		Help: "Failovers this instance led, by result (ok, or the abort reason).",
	}, []string{"master_name", "result"})
	s.switches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redis_sentinel_master_switches_total",
		Help: "+switch-master events seen by this instance (as leader or from a peer's newer configuration).",
	}, []string{"master_name"})
	s.sdowns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redis_sentinel_sdown_transitions_total",
		Help: "+sdown events, by instance role.",
	}, []string{"master_name", "role"})
	s.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "redis_sentinel_failover_duration_seconds",
		Help:    "From the master's +sdown to +switch-master on this instance.",
		Buckets: []float64{0.5, 1, 1.5, 2, 3, 5, 10, 30, 60, 180},
	}, []string{"master_name"})
	s.leader = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "redis_sentinel_leader",
		Help: "1 while this instance leads a failover of the master.",
	}, []string{"master_name"})
	s.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "redis_sentinel_events_total",
		Help: "Sentinel events published by this instance, by type.",
	}, []string{"type"})
	s.hooks = newHookMetrics()
	s.reg.MustRegister(s.hooks.collectors()...)
	s.reg.MustRegister(s.failovers, s.switches, s.sdowns, s.duration, s.leader, s.events,
		&stateCollector{src: src}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	s.ln = ln
	return s, nil
}

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers /metrics and /healthz and follows events until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	sub := s.src.Events().Subscribe(4096)
	defer sub.Close()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		info := s.src.Info()
		if info.Tilt {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "tilt for %ds\n", int(info.TiltSince.Seconds()))
			return
		}
		fmt.Fprintf(w, "ok %d masters, epoch %d\n", len(info.Masters), s.src.CurrentEpoch())
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(s.ln) }()
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), time.Second)
			hs.Shutdown(sctx)
			cancel()
			<-errc
			return nil
		case err := <-errc:
			if errors.Is(err, http.ErrServerClosed) {
				return nil
			}
			return fmt.Errorf("metrics: %w", err)
		case e, ok := <-sub.C:
			if !ok {
				return nil
			}
			s.observe(e)
		}
	}
}

// observe turns events into counters, from the events' fields.
func (s *Server) observe(e *event.Event) {
	s.events.WithLabelValues(string(e.Kind)).Inc()
	m := e.Master
	isMaster := e.Instance.Role == event.RoleMaster
	switch e.Kind {
	case event.SDown:
		if e.Instance.Role == "" {
			return
		}
		s.sdowns.WithLabelValues(m, string(e.Instance.Role)).Inc()
		if isMaster {
			s.mu.Lock()
			if _, ok := s.downSince[m]; !ok {
				s.downSince[m] = e.Time
			}
			s.mu.Unlock()
		}
	case event.SDownCleared:
		if isMaster {
			s.mu.Lock()
			delete(s.downSince, m)
			s.mu.Unlock()
		}
	case event.SwitchMaster:
		s.switches.WithLabelValues(m).Inc()
		s.mu.Lock()
		if t, ok := s.downSince[m]; ok {
			s.duration.WithLabelValues(m).Observe(e.Time.Sub(t).Seconds())
			delete(s.downSince, m)
		}
		s.mu.Unlock()
	case event.ElectedLeader:
		s.leader.WithLabelValues(m).Set(1)
	case event.FailoverEnd:
		s.failovers.WithLabelValues(m, "ok").Inc()
		s.leader.WithLabelValues(m).Set(0)
	case event.FailoverEndForTimeout:
		s.failovers.WithLabelValues(m, "timeout").Inc()
	default:
		if reason, ok := e.Kind.AbortReason(); ok {
			s.failovers.WithLabelValues(m, reason).Inc()
			s.leader.WithLabelValues(m).Set(0)
		}
	}
}

// stateCollector reads the sentinel's state at scrape time.
type stateCollector struct{ src Source }

var (
	dMasters     = prometheus.NewDesc("redis_sentinel_masters", "Monitored masters.", nil, nil)
	dTilt        = prometheus.NewDesc("redis_sentinel_tilt", "1 in TILT mode.", nil, nil)
	dRunning     = prometheus.NewDesc("redis_sentinel_running_scripts", "Scripts running.", nil, nil)
	dQueue       = prometheus.NewDesc("redis_sentinel_scripts_queue_length", "Scripts queued.", nil, nil)
	dSimFlags    = prometheus.NewDesc("redis_sentinel_simulate_failure_flags", "SIMULATE-FAILURE flags.", nil, nil)
	dEpoch       = prometheus.NewDesc("redis_sentinel_current_epoch", "Current epoch.", nil, nil)
	masterLabels = []string{"master_name", "master_address"}
	dStatus      = prometheus.NewDesc("redis_sentinel_master_status", "1 when the master's status is ok.", []string{"master_name", "master_address", "master_status"}, nil)
	dSlaves      = prometheus.NewDesc("redis_sentinel_master_slaves", "Known replicas.", masterLabels, nil)
	dSentinels   = prometheus.NewDesc("redis_sentinel_master_sentinels", "Sentinels, this one included.", masterLabels, nil)
	dOKSentinels = prometheus.NewDesc("redis_sentinel_master_ok_sentinels", "Sentinels not down, this one included.", masterLabels, nil)
	dOKSlaves    = prometheus.NewDesc("redis_sentinel_master_ok_slaves", "Replicas not down.", masterLabels, nil)
	dConfigEpoch = prometheus.NewDesc("redis_sentinel_master_config_epoch", "Config epoch.", masterLabels, nil)
	dQuorum      = prometheus.NewDesc("redis_sentinel_master_setting_ckquorum", "Configured quorum.", masterLabels, nil)
	dFailTimeout = prometheus.NewDesc("redis_sentinel_master_setting_failover_timeout", "failover-timeout (ms).", masterLabels, nil)
	dParallel    = prometheus.NewDesc("redis_sentinel_master_setting_parallel_syncs", "parallel-syncs.", masterLabels, nil)
	dDownAfter   = prometheus.NewDesc("redis_sentinel_master_setting_down_after_milliseconds", "down-after-milliseconds.", masterLabels, nil)
	dLastPing    = prometheus.NewDesc("redis_sentinel_master_last_ok_ping_reply_seconds", "Since the master's last valid ping reply.", masterLabels, nil)
	dCKQuorum    = prometheus.NewDesc("redis_sentinel_master_ckquorum_status", "1 when SENTINEL CKQUORUM succeeds.", []string{"master_name", "message"}, nil)
	dSDown       = prometheus.NewDesc("redis_sentinel_master_sdown", "1 while the master is subjectively down here.", []string{"master_name"}, nil)
	dODown       = prometheus.NewDesc("redis_sentinel_master_odown", "1 while the master is objectively down.", []string{"master_name"}, nil)
	dAgreeing    = prometheus.NewDesc("redis_sentinel_master_agreeing_sentinels", "Sentinels (this one included) that see the master as this one does now: reachable, a recent hello naming the same address and config epoch.", []string{"master_name"}, nil)
	dAgreeNeed   = prometheus.NewDesc("redis_sentinel_master_agreement_needed", "How many must agree for the agent-check to say up (a majority of the group).", []string{"master_name"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dMasters, dTilt, dRunning, dQueue, dSimFlags, dEpoch, dStatus, dSlaves,
		dSentinels, dOKSentinels, dOKSlaves, dConfigEpoch, dQuorum, dFailTimeout, dParallel, dDownAfter,
		dLastPing, dCKQuorum, dSDown, dODown, dAgreeing, dAgreeNeed} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	info := c.src.Info()
	g(dMasters, float64(len(info.Masters)))
	g(dTilt, b2f(info.Tilt))
	g(dRunning, float64(info.RunningScripts))
	g(dQueue, float64(info.ScriptsQueueLength))
	g(dSimFlags, float64(info.SimulateFailureFlag))
	g(dEpoch, float64(c.src.CurrentEpoch()))
	for _, m := range info.Masters {
		addr := m.Addr.String()
		g(dStatus, b2f(m.Status == "ok"), m.Name, addr, m.Status)
		g(dSlaves, float64(m.Replicas), m.Name, addr)
		g(dSentinels, float64(m.Sentinels), m.Name, addr)
	}
	for _, v := range c.src.Masters() {
		addr := v.Addr.String()
		num := func(k string) float64 {
			s, _ := v.Get(k)
			f, _ := strconv.ParseFloat(s, 64)
			return f
		}
		g(dConfigEpoch, num("config-epoch"), v.Name, addr)
		g(dQuorum, num("quorum"), v.Name, addr)
		g(dFailTimeout, num("failover-timeout"), v.Name, addr)
		g(dParallel, num("parallel-syncs"), v.Name, addr)
		g(dDownAfter, num("down-after-milliseconds"), v.Name, addr)
		g(dLastPing, num("last-ok-ping-reply")/1000, v.Name, addr)
		g(dSDown, b2f(hasFlag(v.Flags, "s_down")), v.Name)
		g(dODown, b2f(hasFlag(v.Flags, "o_down")), v.Name)
		peers, _ := c.src.Sentinels(v.Name)
		g(dOKSentinels, float64(1+countUp(peers)), v.Name, addr) // this one counts too
		reps, _ := c.src.Replicas(v.Name)
		g(dOKSlaves, float64(countUp(reps)), v.Name, addr)
		msg, ok, err := c.src.CKQuorum(v.Name)
		if err == nil {
			g(dCKQuorum, b2f(ok), v.Name, msg)
		}
		if a, err := c.src.Agreement(v.Name); err == nil {
			g(dAgreeing, float64(a.Agree), v.Name)
			g(dAgreeNeed, float64(a.Need), v.Name)
		}
	}
}

// countUp counts instances flagged neither s_down nor o_down.
func countUp(vs []sentinel.InstanceView) int {
	n := 0
	for _, v := range vs {
		if !hasFlag(v.Flags, "s_down") && !hasFlag(v.Flags, "o_down") {
			n++
		}
	}
	return n
}

func hasFlag(flags, f string) bool {
	for _, x := range strings.Split(flags, ",") {
		if x == f {
			return true
		}
	}
	return false
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
