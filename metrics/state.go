package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/qsentinel/qsentinel/sentinel"
)

// collector reads the sentinel's state at scrape time: one
// Source.MetricsState per scrape for every series, the per-master ones
// here and the per-instance ones (instance.go). One collector rather than
// one per file because the registry runs collectors concurrently: two
// would read the state twice, and could each see a different moment.
type collector struct {
	src  Source
	inst Instance
}

// stateDescs are the descriptions of the series collectState makes.
var stateDescs = []*prometheus.Desc{dMasters, dTilt, dRunning, dQueue, dSimFlags, dEpoch, dStatus, dSlaves,
	dSentinels, dOKSentinels, dOKSlaves, dConfigEpoch, dQuorum, dFailTimeout, dParallel, dDownAfter,
	dLastPing, dCKQuorum, dSDown, dODown, dMaint, dAgreeing, dAgreeNeed}

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
	dMaint       = prometheus.NewDesc("redis_sentinel_master_maintenance", "1 while automatic failover of the master is held for maintenance (sentinel maintenance <master> yes).", []string{"master_name"}, nil)
	dAgreeNeed   = prometheus.NewDesc("redis_sentinel_master_agreement_needed", "How many must agree for the agent-check to say up (a majority of the group).", []string{"master_name"}, nil)
)

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range stateDescs {
		ch <- d
	}
	for _, d := range instanceDescs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.src.MetricsState()
	c.collectState(ch, &st)
	c.collectInstances(ch, &st)
}

// gauge sends one gauge sample.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (c *collector) collectState(ch chan<- prometheus.Metric, st *sentinel.MetricsState) {
	gauge(ch, dMasters, float64(len(st.Masters)))
	gauge(ch, dTilt, b2f(st.Tilt))
	gauge(ch, dRunning, float64(st.RunningScripts))
	gauge(ch, dQueue, float64(st.ScriptsQueueLength))
	gauge(ch, dSimFlags, float64(st.SimulateFailureFlag))
	gauge(ch, dEpoch, float64(c.src.CurrentEpoch()))
	for k := range st.Masters {
		m := &st.Masters[k]
		// Two addresses, as redis_exporter's series from INFO and from
		// SENTINEL MASTERS have them: INFO's is the current master as
		// reported, the view's the master instance's as configured.
		infoAddr, addr := m.InfoAddr.String(), m.Addr.String()
		gauge(ch, dStatus, b2f(m.Status == "ok"), m.Name, infoAddr, m.Status)
		gauge(ch, dSlaves, float64(m.Replicas), m.Name, infoAddr)
		gauge(ch, dSentinels, float64(m.Sentinels), m.Name, infoAddr)
		gauge(ch, dConfigEpoch, float64(m.ConfigEpoch), m.Name, addr)
		gauge(ch, dQuorum, float64(m.Quorum), m.Name, addr)
		// Whole milliseconds, as SENTINEL MASTER shows them (and the
		// seconds divided from them, so the value is the same float).
		gauge(ch, dFailTimeout, float64(m.FailoverTimeout.Milliseconds()), m.Name, addr)
		gauge(ch, dParallel, float64(m.ParallelSyncs), m.Name, addr)
		gauge(ch, dDownAfter, float64(m.DownAfter.Milliseconds()), m.Name, addr)
		gauge(ch, dLastPing, float64(m.LastOKPing.Milliseconds())/1000, m.Name, addr)
		gauge(ch, dSDown, b2f(m.SDown), m.Name)
		gauge(ch, dODown, b2f(m.ODown), m.Name)
		gauge(ch, dMaint, b2f(m.Maintenance), m.Name)
		gauge(ch, dOKSentinels, float64(m.OKSentinels), m.Name, addr) // this one counts too
		gauge(ch, dOKSlaves, float64(m.OKReplicas), m.Name, addr)
		gauge(ch, dCKQuorum, b2f(m.CKQuorumOK), m.Name, m.CKQuorum)
		gauge(ch, dAgreeing, float64(m.Agreement.Agree), m.Name)
		gauge(ch, dAgreeNeed, float64(m.Agreement.Need), m.Name)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
