package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

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
		[]string{"master_name", "role", "address"}, nil)
)

// instanceDescs are the descriptions of the series collectInstances makes.
var instanceDescs = []*prometheus.Desc{dUp, dInfo, dStart, dInstanceUp}

// roleLabel is the role label of an instance kind, as the views' flags
// name it.
func roleLabel(k sentinel.Kind) string {
	switch k {
	case sentinel.KindMaster:
		return "master"
	case sentinel.KindReplica:
		return "slave"
	}
	return "sentinel"
}

func (c *collector) collectInstances(ch chan<- prometheus.Metric, st *sentinel.MetricsState) {
	gauge(ch, dUp, 1)
	in := c.inst
	gauge(ch, dInfo, 1, "sentinel", in.Version, "qsentinel", "sentinel", in.OS, "", strconv.Itoa(in.Port),
		c.src.MyID(), strconv.Itoa(in.PID), "")
	if !in.Started.IsZero() {
		gauge(ch, dStart, float64(in.Started.Unix()))
	}
	for k := range st.Masters {
		m := &st.Masters[k]
		for _, i := range m.Instances {
			gauge(ch, dInstanceUp, b2f(i.Up), m.Name, roleLabel(i.Kind), i.Addr.String())
		}
	}
}
