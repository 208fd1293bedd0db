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
	masterLabels = []string{lMasterName, lMasterAddress}
	dStatus      = prometheus.NewDesc("redis_sentinel_master_status", "1 when the master's status is ok.", []string{lMasterName, lMasterAddress, lMasterStatus}, nil)
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
	dCKQuorum    = prometheus.NewDesc("redis_sentinel_master_ckquorum_status", "1 when SENTINEL CKQUORUM succeeds.", []string{lMasterName, lMessage}, nil)
	dSDown       = prometheus.NewDesc("redis_sentinel_master_sdown", "1 while the master is subjectively down here.", []string{lMasterName}, nil)
	dODown       = prometheus.NewDesc("redis_sentinel_master_odown", "1 while the master is objectively down.", []string{lMasterName}, nil)
	dAgreeing    = prometheus.NewDesc("redis_sentinel_master_agreeing_sentinels", "Sentinels (this one included) that see the master as this one does now: reachable, a recent hello naming the same address and config epoch.", []string{lMasterName}, nil)
	dMaint       = prometheus.NewDesc("redis_sentinel_master_maintenance", "1 while automatic failover of the master is held for maintenance (sentinel maintenance <master> yes).", []string{lMasterName}, nil)
	dAgreeNeed   = prometheus.NewDesc("redis_sentinel_master_agreement_needed", "How many must agree for the agent-check to say up (a majority of the group).", []string{lMasterName}, nil)
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
	smp := newSamples(ch)
	c.collectState(ch, smp, &st)
	c.collectInstances(ch, smp, &st)
}

// gauge sends one gauge sample, for the few series that are not per
// master.
func gauge(ch chan<- prometheus.Metric, d *prometheus.Desc, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func (c *collector) collectState(ch chan<- prometheus.Metric, smp *samples, st *sentinel.MetricsState) {
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
		name := smp.label(smp.masterName, m.Name)
		byName := smp.set(name)
		byAddr := smp.set(smp.label(smp.masterAddress, m.Addr.String()), name)
		infoAddr := smp.label(smp.masterAddress, m.InfoAddr.String())
		byInfoAddr := smp.set(infoAddr, name)
		smp.gauge(dStatus, b2f(m.Status == "ok"), smp.set(infoAddr, name, smp.label(smp.masterStatus, m.Status)))
		smp.gauge(dSlaves, float64(m.Replicas), byInfoAddr)
		smp.gauge(dSentinels, float64(m.Sentinels), byInfoAddr)
		smp.gauge(dConfigEpoch, float64(m.ConfigEpoch), byAddr)
		smp.gauge(dQuorum, float64(m.Quorum), byAddr)
		// Whole milliseconds, as SENTINEL MASTER shows them; the last
		// ping's seconds are divided from those, as they were from the
		// view's number, so that the float is the same.
		smp.gauge(dFailTimeout, float64(m.FailoverTimeout.Milliseconds()), byAddr)
		smp.gauge(dParallel, float64(m.ParallelSyncs), byAddr)
		smp.gauge(dDownAfter, float64(m.DownAfter.Milliseconds()), byAddr)
		smp.gauge(dLastPing, float64(m.LastOKPing.Milliseconds())/1000, byAddr)
		smp.gauge(dSDown, b2f(m.SDown), byName)
		smp.gauge(dODown, b2f(m.ODown), byName)
		smp.gauge(dMaint, b2f(m.Maintenance), byName)
		smp.gauge(dOKSentinels, float64(m.OKSentinels), byAddr) // this one counts too
		smp.gauge(dOKSlaves, float64(m.OKReplicas), byAddr)
		smp.gauge(dCKQuorum, b2f(m.CKQuorumOK), smp.set(name, smp.label(smp.message, m.CKQuorum)))
		smp.gauge(dAgreeing, float64(m.Agreement.Agree), byName)
		smp.gauge(dAgreeNeed, float64(m.Agreement.Need), byName)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
