// Package metrics serves Prometheus metrics and a health check over HTTP.
//
// Per-master state is read from the sentinel at scrape time under
// oliver006/redis_exporter's metric names, so dashboards built for
// redis_exporter against redis-sentinel keep working; redis_up and
// redis_instance_info are there too, for the variables such dashboards
// build from them. Event-driven series (failovers by result, failover
// duration, switches, sdown transitions, leadership) are what
// redis-sentinel cannot tell; every one of them exists at 0 for each
// monitored master from the start, so increase() and alerts see a series.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sentinel"
)

// Source is what the metrics read; *sentinel.Sentinel implements it.
type Source interface {
	MyID() string
	Info() sentinel.InfoSummary // for /healthz
	Masters() []sentinel.InstanceView
	// MetricsState is what a scrape reads, once per scrape: numbers, not
	// the views' strings.
	MetricsState() sentinel.MetricsState
	CurrentEpoch() uint64
	Events() *event.Bus
}

// Instance describes this process for redis_instance_info, as INFO's
// server section does.
type Instance struct {
	Version string // redis_version
	OS      string
	Port    int
	PID     int
	Started time.Time
}

// Option changes a Server at New.
type Option func(*Server)

// WithInstance sets what redis_instance_info and redis_start_time_seconds
// say; without it they carry only what the Source knows.
func WithInstance(in Instance) Option { return func(s *Server) { s.inst = in } }

// Server is the HTTP endpoint with its registry.
type Server struct {
	src    Source
	logger *slog.Logger
	reg    *prometheus.Registry
	ln     net.Listener
	extra  map[string]http.Handler // more routes on the same listener (Handle)
	inst   Instance

	ev    *eventMetrics
	hooks *hookMetrics
	// sub follows events from New on, so that none the monitor publishes
	// as it starts (+monitor, discovery) is missed while Serve starts.
	sub *event.Subscription
}

// New registers the collectors and opens the listener on addr.
func New(addr string, src Source, logger *slog.Logger, opts ...Option) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{src: src, logger: logger, reg: prometheus.NewRegistry(), ev: newEventMetrics(), hooks: newHookMetrics()}
	for _, o := range opts {
		o(s)
	}
	s.reg.MustRegister(s.ev.collectors()...)
	s.reg.MustRegister(s.hooks.collectors()...)
	s.reg.MustRegister(&collector{src: src, inst: s.inst},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.ev.initMasters(src.Masters())
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listen %s: %w", addr, err)
	}
	s.ln = ln
	s.sub = src.Events().Subscribe(4096)
	return s, nil
}

// Handle serves pattern with h on the metrics listener too (the HTTP
// health endpoints); call it before Serve.
func (s *Server) Handle(pattern string, h http.Handler) {
	if s.extra == nil {
		s.extra = map[string]http.Handler{}
	}
	s.extra[pattern] = h
}

// Addr is the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve answers /metrics and /healthz and follows events until ctx ends.
func (s *Server) Serve(ctx context.Context) error {
	sub := s.sub
	defer sub.Close()
	// Masters added between New and the subscription get their series
	// here; later ones at their +monitor.
	s.ev.initMasters(s.src.Masters())
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
	for pattern, h := range s.extra {
		mux.Handle(pattern, h)
	}
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
			s.ev.observe(e)
		}
	}
}
