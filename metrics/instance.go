package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/qsentinel/qsentinel/sentinel"
)

// The instance series are what redis_exporter-style dashboards build
// their variables from (label_values(redis_up, instance),
// redis_instance_info), and one up gauge per instance this sentinel
// watches.
var (
	dUp   = prometheus.NewDesc("redis_up", "1: this sentinel answers (redis_exporter's name).", nil, nil)
	dInfo = prometheus.NewDesc("redis_instance_info", "This sentinel, in redis_exporter's labels (from INFO server).",
		[]string{"role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id", "process_id", "master_replid"}, nil)
	dStart      = prometheus.NewDesc("redis_start_time_seconds", "When this sentinel started (Unix time).", nil, nil)
	dInstanceUp = prometheus.NewDesc("redis_sentinel_instance_up",
		"1 while an instance this sentinel watches (the master, its replicas, the other sentinels) is not s_down, o_down or disconnected here.",
		[]string{lMasterName, lRole, lAddress}, nil)
)

// instanceDescs are the descriptions of the series collectInstances makes.
var instanceDescs = []*prometheus.Desc{dUp, dInfo, dStart, dInstanceUp}

func (c *collector) collectInstances(ch chan<- prometheus.Metric, smp *samples, st *sentinel.MetricsState) {
	gauge(ch, dUp, 1)
	in := c.inst
	gauge(ch, dInfo, 1, "sentinel", in.Version, "qsentinel", "sentinel", in.OS, "", strconv.Itoa(in.Port),
		c.src.MyID(), strconv.Itoa(in.PID), "")
	if !in.Started.IsZero() {
		gauge(ch, dStart, float64(in.Started.Unix()))
	}
	roles := [...]*dto.LabelPair{
		sentinel.KindMaster:   smp.label(smp.role, "master"),
		sentinel.KindReplica:  smp.label(smp.role, "slave"),
		sentinel.KindSentinel: smp.label(smp.role, "sentinel"),
	}
	for k := range st.Masters {
		m := &st.Masters[k]
		name := smp.label(smp.masterName, m.Name)
		for _, i := range m.Instances {
			smp.gauge(dInstanceUp, b2f(i.Up), smp.set(smp.label(smp.address, i.Addr.String()), name, roles[i.Kind]))
		}
	}
}
