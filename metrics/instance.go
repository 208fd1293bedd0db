package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qsentinel/qsentinel/sentinel"
)

// instanceCollector gives the series redis_exporter-style dashboards
// build their variables from (label_values(redis_up, instance),
// redis_instance_info), and one up gauge per instance this sentinel
// watches.
type instanceCollector struct {
	src  Source
	inst Instance
}

var (
	dUp   = prometheus.NewDesc("redis_up", "1: this sentinel answers (redis_exporter's name).", nil, nil)
	dInfo = prometheus.NewDesc("redis_instance_info", "This sentinel, in redis_exporter's labels (from INFO server).",
		[]string{"role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy", "tcp_port", "run_id", "process_id", "master_replid"}, nil)
	dStart      = prometheus.NewDesc("redis_start_time_seconds", "When this sentinel started (Unix time).", nil, nil)
	dInstanceUp = prometheus.NewDesc("redis_sentinel_instance_up",
		"1 while an instance this sentinel watches (the master, its replicas, the other sentinels) is not s_down, o_down or disconnected here.",
		[]string{"master_name", "role", "address"}, nil)
)

func (c *instanceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{dUp, dInfo, dStart, dInstanceUp} {
		ch <- d
	}
}

func (c *instanceCollector) Collect(ch chan<- prometheus.Metric) {
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	g(dUp, 1)
	in := c.inst
	g(dInfo, 1, "sentinel", in.Version, "qsentinel", "sentinel", in.OS, "", strconv.Itoa(in.Port),
		c.src.MyID(), strconv.Itoa(in.PID), "")
	if !in.Started.IsZero() {
		g(dStart, float64(in.Started.Unix()))
	}
	for _, m := range c.src.Masters() {
		g(dInstanceUp, b2f(instanceUp(m)), m.Name, "master", m.Addr.String())
		reps, _ := c.src.Replicas(m.Name)
		for _, r := range reps {
			g(dInstanceUp, b2f(instanceUp(r)), m.Name, "slave", r.Addr.String())
		}
		peers, _ := c.src.Sentinels(m.Name)
		for _, p := range peers {
			g(dInstanceUp, b2f(instanceUp(p)), m.Name, "sentinel", p.Addr.String())
		}
	}
}

// instanceUp: reachable and not judged down by this sentinel.
func instanceUp(v sentinel.InstanceView) bool {
	return !hasFlag(v.Flags, "s_down") && !hasFlag(v.Flags, "o_down") && !hasFlag(v.Flags, "disconnected")
}
