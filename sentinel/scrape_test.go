package sentinel

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

type stoppedClock struct{ t time.Time }

func (c stoppedClock) Now() time.Time { return c.t }

// metricsFromViews is MetricsState as the metrics read it before it
// existed: from INFO, the SENTINEL MASTERS/REPLICAS/SENTINELS views (their
// strings parsed back into numbers), CKQUORUM and the agreement.
func metricsFromViews(t *testing.T, s *Sentinel) MetricsState {
	t.Helper()
	has := func(v InstanceView, f string) bool {
		for _, x := range strings.Split(v.Flags, ",") {
			if x == f {
				return true
			}
		}
		return false
	}
	down := func(v InstanceView) bool { return has(v, "s_down") || has(v, "o_down") }
	num := func(v InstanceView, k string) int64 {
		n, err := strconv.ParseInt(field(v, k), 10, 64)
		if err != nil {
			t.Fatalf("%s %s: %v", v.Name, k, err)
		}
		return n
	}
	info := s.Info()
	st := MetricsState{Tilt: info.Tilt, RunningScripts: info.RunningScripts, ScriptsQueueLength: info.ScriptsQueueLength,
		SimulateFailureFlag: info.SimulateFailureFlag}
	for k, v := range s.Masters() {
		im := info.Masters[k]
		reps, err := s.Replicas(v.Name)
		if err != nil {
			t.Fatal(err)
		}
		peers, err := s.Sentinels(v.Name)
		if err != nil {
			t.Fatal(err)
		}
		msg, ok, err := s.CKQuorum(v.Name)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Agreement(v.Name)
		if err != nil {
			t.Fatal(err)
		}
		epoch, err := strconv.ParseUint(field(v, "config-epoch"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		m := MasterMetrics{
			Name: v.Name, Addr: v.Addr, InfoAddr: im.Addr, Status: im.Status,
			Replicas: im.Replicas, Sentinels: im.Sentinels, OKSentinels: 1,
			ConfigEpoch: epoch, Quorum: int(num(v, "quorum")), ParallelSyncs: int(num(v, "parallel-syncs")),
			FailoverTimeout: time.Duration(num(v, "failover-timeout")) * time.Millisecond,
			DownAfter:       time.Duration(num(v, "down-after-milliseconds")) * time.Millisecond,
			LastOKPing:      time.Duration(num(v, "last-ok-ping-reply")) * time.Millisecond,
			SDown:           has(v, "s_down"), ODown: has(v, "o_down"), Maintenance: has(v, "maintenance"),
			CKQuorum: msg, CKQuorumOK: ok, Agreement: a,
		}
		inst := func(v InstanceView, k Kind) {
			m.Instances = append(m.Instances, InstanceMetrics{Kind: k, Addr: v.Addr, Up: !down(v) && !has(v, "disconnected")})
		}
		inst(v, KindMaster)
		for _, r := range reps {
			if !down(r) {
				m.OKReplicas++
			}
			inst(r, KindReplica)
		}
		for _, p := range peers {
			if !down(p) {
				m.OKSentinels++
			}
			inst(p, KindSentinel)
		}
		st.Masters = append(st.Masters, m)
	}
	return st
}

// upLink is a command link that says it is connected.
type upLink struct{ redislink.Conn }

func (upLink) Connected() bool { return true }

// TestMetricsStateMatchesViews: MetricsState says what the views say,
// for masters up, subjectively and objectively down, in maintenance, with
// replicas and peers up, down, disconnected or not listed.
func TestMetricsStateMatchesViews(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	cfg := DefaultConfig()
	cfg.MyID = strings.Repeat("a", 40)
	cfg.CurrentEpoch = 4
	for k, name := range []string{"up", "sdown", "odown", "held"} {
		m := MasterState{MasterConfig: MasterConfig{Name: name, Addr: Addr{Host: "10.0.0.1", Port: 6379 + k}, Quorum: 2,
			DownAfter: time.Duration(k+1) * time.Second, ParallelSyncs: k, Maintenance: name == "held"}, ConfigEpoch: uint64(k)}
		for r := range 3 {
			m.KnownReplicas = append(m.KnownReplicas, Addr{Host: fmt.Sprintf("10.0.%d.%d", k+1, r), Port: 6379})
		}
		for p := range k + 1 {
			m.KnownSentinels = append(m.KnownSentinels, KnownSentinel{Addr: Addr{Host: "10.0.9.9", Port: 26380 + p},
				RunID: fmt.Sprintf("%040d", p+1)})
		}
		cfg.Masters = append(cfg.Masters, m)
	}
	s, err := New(cfg, Options{Dialer: redislink.NewFakeNet(), Clock: stoppedClock{now}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	connect := func(i *instance) {
		i.conn, i.Disconnected, i.sub.up = upLink{}, false, true
	}
	for _, g := range s.groupList() {
		g.mu.Lock()
		connect(g.master)
		g.master.LastAvail = g.master.Stamp(now.Add(-1234567 * time.Microsecond))
		reps, peers := g.replicas(), g.peers()
		connect(reps[0])
		connect(reps[1])
		reps[1].Flags |= failover.FlagSDown
		reps[2].ReplicaAnnounced = 0 // counted, not listed
		connect(peers[0])
		if len(peers) > 1 {
			peers[1].Flags |= failover.FlagSDown // connected but down
		}
		if len(peers) > 2 {
			peers[2].Flags |= failover.FlagODown
		}
		switch g.name {
		case "sdown":
			g.master.Flags |= failover.FlagSDown
		case "odown":
			g.master.Flags |= failover.FlagSDown | failover.FlagODown
		}
		g.mu.Unlock()
	}
	want := metricsFromViews(t, s)
	got := s.MetricsState()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MetricsState:\n%+v\nthe views say:\n%+v", got, want)
	}
	// The test must see what it is about.
	var ups, downs, ok, noquorum int
	status := map[string]string{}
	for _, m := range want.Masters {
		status[m.Name] = m.Status
		for _, i := range m.Instances {
			if i.Up {
				ups++
			} else {
				downs++
			}
		}
		if m.CKQuorumOK {
			ok++
		} else {
			noquorum++
		}
	}
	if ups == 0 || downs == 0 || ok == 0 || noquorum == 0 || status["sdown"] != "sdown" || status["odown"] != "odown" {
		t.Errorf("the fixture lacks a case: %d up, %d down, %d ckquorum ok, %d not; %+v", ups, downs, ok, noquorum, want.Masters)
	}
}
