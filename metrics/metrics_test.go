package metrics

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sentinel"
)

// fakeSource monitors the masters listed (none by default); its bus is
// the one the test publishes on. masters is what Masters lists (the
// event series' masters), state what a scrape reads.
type fakeSource struct {
	bus     *event.Bus
	masters []sentinel.InstanceView
	state   sentinel.MetricsState
}

var _ Source = (*fakeSource)(nil)

func (f *fakeSource) Info() sentinel.InfoSummary          { return sentinel.InfoSummary{TiltSince: -1} }
func (f *fakeSource) Masters() []sentinel.InstanceView    { return f.masters }
func (f *fakeSource) MetricsState() sentinel.MetricsState { return f.state }
func (f *fakeSource) MyID() string                        { return "f00d" }
func (f *fakeSource) CurrentEpoch() uint64                { return 0 }
func (f *fakeSource) Events() *event.Bus                  { return f.bus }

// value is the sample of family name whose labels are exactly labels:
// a counter's or gauge's value, a histogram's count and sum.
func value(t *testing.T, s *Server, name string, labels map[string]string) (v, sum float64, ok bool) {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), 0, true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), 0, true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), m.Histogram.GetSampleSum(), true
			}
		}
	}
	return 0, 0, false
}

func startServer(t *testing.T) (*Server, *event.Bus) {
	t.Helper()
	src := &fakeSource{bus: event.NewBus(nil)}
	s, err := New("127.0.0.1:0", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Serve(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	// New subscribed already: the probe is counted once Serve reads it.
	src.bus.Publish(event.Event{Kind: "+probe"})
	eventually(t, "the probe counted", func() bool {
		v, _, _ := value(t, s, "redis_sentinel_events_total", map[string]string{"type": "+probe"})
		return v > 0
	})
	return s, src.bus
}

// TestEventsBeforeServeAreCounted: the monitor publishes +monitor as it
// starts, concurrently with Serve's start; events published between New
// and Serve must be counted (they were lost when Serve subscribed, and
// redis_sentinel_events_total then did not exist on a quiet sentinel).
func TestEventsBeforeServeAreCounted(t *testing.T) {
	src := &fakeSource{bus: event.NewBus(nil)}
	s, err := New("127.0.0.1:0", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.bus.Publish(event.Event{Kind: "+monitor"})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Serve(ctx) }()
	defer func() { cancel(); wg.Wait() }()
	eventually(t, "+monitor published before Serve counted", func() bool {
		v, _, _ := value(t, s, "redis_sentinel_events_total", map[string]string{"type": "+monitor"})
		return v == 1
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out: %s", what)
}

// A failover seen as events with IPv6 addresses: the series come from the
// events' fields (master, instance role, kind), not from their text.
func TestEventSeriesFromFields(t *testing.T) {
	s, bus := startServer(t)
	t0 := time.Unix(1_700_000_000, 0)
	m := event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: event.Addr{Host: "fe80::1", Port: 6379}}
	r := event.Instance{Role: event.RoleSlave, Name: "[fe80::2]:6380", Addr: event.Addr{Host: "fe80::2", Port: 6380},
		MasterName: "mymaster", MasterAddr: m.Addr}
	for _, e := range []event.Event{
		{Time: t0, Kind: event.SDown, Master: "mymaster", Instance: r},
		{Time: t0.Add(time.Second), Kind: event.SDown, Master: "mymaster", Instance: m},
		{Time: t0.Add(1500 * time.Millisecond), Kind: event.ElectedLeader, Master: "mymaster", Instance: m},
		{Time: t0.Add(3 * time.Second), Kind: event.SwitchMaster, Master: "mymaster", From: m.Addr, To: r.Addr},
		{Time: t0.Add(4 * time.Second), Kind: event.FailoverEnd, Master: "mymaster", Instance: event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: r.Addr}},
		{Time: t0.Add(5 * time.Second), Kind: "-failover-abort-not-elected", Master: "other", Instance: m},
	} {
		bus.Publish(e)
	}
	eventually(t, "all events observed", func() bool {
		v, _, _ := value(t, s, "redis_sentinel_events_total", map[string]string{"type": "-failover-abort-not-elected"})
		return v == 1
	})
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"redis_sentinel_master_switches_total", map[string]string{"master_name": "mymaster"}, 1},
		{"redis_sentinel_sdown_transitions_total", map[string]string{"master_name": "mymaster", "role": "master"}, 1},
		{"redis_sentinel_sdown_transitions_total", map[string]string{"master_name": "mymaster", "role": "slave"}, 1},
		{"redis_sentinel_failovers_total", map[string]string{"master_name": "mymaster", "result": "ok"}, 1},
		{"redis_sentinel_failovers_total", map[string]string{"master_name": "other", "result": "not-elected"}, 1},
		{"redis_sentinel_leader", map[string]string{"master_name": "mymaster"}, 0},
		{"redis_sentinel_events_total", map[string]string{"type": "+switch-master"}, 1},
	} {
		if got, _, ok := value(t, s, c.name, c.labels); !ok || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, ok, c.want)
		}
	}
	// From the master's +sdown (not the replica's) to +switch-master: 2 s.
	if n, sum, ok := value(t, s, "redis_sentinel_failover_duration_seconds", map[string]string{"master_name": "mymaster"}); !ok || n != 1 || sum != 2 {
		t.Errorf("failover duration: %v samples, sum %v s (found %v); want 1 sample of 2 s", n, sum, ok)
	}
}

// The agreement behind the agent's verdict is exported per master.
func TestAgreementGauges(t *testing.T) {
	src := &fakeSource{bus: event.NewBus(nil), state: sentinel.MetricsState{Masters: []sentinel.MasterMetrics{
		{Name: "mymaster", Agreement: failover.Agreement{Agree: 1, Group: 3, Need: 2, Unreachable: 2}}}}}
	s, err := New("127.0.0.1:0", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	for name, want := range map[string]float64{
		"redis_sentinel_master_agreeing_sentinels": 1,
		"redis_sentinel_master_agreement_needed":   2,
	} {
		if v, _, ok := value(t, s, name, map[string]string{"master_name": "mymaster"}); !ok || v != want {
			t.Errorf("%s = %v (found %v), want %v", name, v, ok, want)
		}
	}
}

// A master in maintenance is 1 in the maintenance gauge.
func TestMaintenanceGauge(t *testing.T) {
	src := &fakeSource{bus: event.NewBus(nil), state: sentinel.MetricsState{Masters: []sentinel.MasterMetrics{
		{Name: "held", Maintenance: true}, {Name: "free"}}}}
	s, err := New("127.0.0.1:0", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.ln.Close()
	for name, want := range map[string]float64{"held": 1, "free": 0} {
		if v, _, ok := value(t, s, "redis_sentinel_master_maintenance", map[string]string{"master_name": name}); !ok || v != want {
			t.Errorf("%s: %v (found %v), want %v", name, v, ok, want)
		}
	}
}
