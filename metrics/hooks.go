package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qsentinel/qsentinel/hooks"
)

// hookMetrics are the hooks' series, fed by the hooks runner as its
// Observer. Every series of a configured hook exists from the start at 0.
type hookMetrics struct {
	runs     *prometheus.CounterVec
	failures *prometheus.CounterVec
	retries  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	pending  prometheus.Gauge
	running  prometheus.Gauge
}

var _ hooks.Observer = (*hookMetrics)(nil)

func newHookMetrics() *hookMetrics {
	return &hookMetrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_hook_runs_total",
			Help: "Hook runs (one per matching event) that left the journal: done (exit 0) or given_up (after hooks_max_attempts).",
		}, []string{"hook", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_hook_failures_total",
			Help: "Hook attempts that failed (exit not 0, killed at the timeout, or could not start).",
		}, []string{"hook"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "redis_sentinel_hook_retries_total",
			Help: "Hook attempts that were retries of a failed run.",
		}, []string{"hook"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "redis_sentinel_hook_duration_seconds",
			Help:    "How long each hook attempt ran.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300},
		}, []string{"hook"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "redis_sentinel_hook_queue_length",
			Help: "Hook runs in the journal, running or waiting (for their turn or a retry).",
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "redis_sentinel_hooks_running",
			Help: "Hook processes running now.",
		}),
	}
}

func (h *hookMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{h.runs, h.failures, h.retries, h.duration, h.pending, h.running}
}

// Rules makes every configured hook's series exist at 0.
func (h *hookMetrics) Rules(names []string) {
	for _, n := range names {
		h.runs.WithLabelValues(n, "done")
		h.runs.WithLabelValues(n, "given_up")
		h.failures.WithLabelValues(n)
		h.retries.WithLabelValues(n)
		h.duration.WithLabelValues(n)
	}
}

func (h *hookMetrics) Attempt(hook string, ran time.Duration, ok, retry bool) {
	h.duration.WithLabelValues(hook).Observe(ran.Seconds())
	if !ok {
		h.failures.WithLabelValues(hook).Inc()
	}
	if retry {
		h.retries.WithLabelValues(hook).Inc()
	}
}

func (h *hookMetrics) Finished(hook string, givenUp bool) {
	result := "done"
	if givenUp {
		result = "given_up"
	}
	h.runs.WithLabelValues(hook, result).Inc()
}

func (h *hookMetrics) Queue(pending, running int) {
	h.pending.Set(float64(pending))
	h.running.Set(float64(running))
}

// Hooks is the observer to give the hooks runner (hooks.Config.Observer).
func (s *Server) Hooks() hooks.Observer { return s.hooks }
