package metrics

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qsentinel/qsentinel/sentinel"
)

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
	dMaint       = prometheus.NewDesc("redis_sentinel_master_maintenance", "1 while automatic failover of the master is held for maintenance (sentinel maintenance <master> yes).", []string{"master_name"}, nil)
	dAgreeNeed   = prometheus.NewDesc("redis_sentinel_master_agreement_needed", "How many must agree for the agent-check to say up (a majority of the group).", []string{"master_name"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dMasters, dTilt, dRunning, dQueue, dSimFlags, dEpoch, dStatus, dSlaves,
		dSentinels, dOKSentinels, dOKSlaves, dConfigEpoch, dQuorum, dFailTimeout, dParallel, dDownAfter,
		dLastPing, dCKQuorum, dSDown, dODown, dMaint, dAgreeing, dAgreeNeed} {
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
		g(dMaint, b2f(hasFlag(v.Flags, "maintenance")), v.Name)
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
