package simsentinel

import (
	"fmt"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// Layout is the setup the project was built for, in small: Redis machines
// (hosts), each master's port with its master on the first host and a
// replica on every other, and sentinels on their own hosts.
type Layout struct {
	Masters   int // masters (ports), each on every Redis host
	Hosts     int // Redis hosts: the first holds every master
	Sentinels int
	Quorum    int
	// Fence is every master's fence-min-replicas (0: off).
	Fence int
	// Mutant plants a bug in every sentinel (mutant_test.go).
	Mutant Mutant
	// SaveTimes is how long the sentinels' saves take (nil: instant).
	SaveTimes SaveTimes
	// DownAfter, FailoverTimeout and InfoPeriod, when set, replace
	// MasterConfig's and SimTiming's: replicas that answer seconds late
	// need a link timeout (half of down-after) longer than that, and a
	// replica's INFO as old at +sdown as production's period leaves it.
	DownAfter, FailoverTimeout, InfoPeriod time.Duration
	// RedialsPerSecond is every sentinel's redial budget (0: production's
	// default, which a simulated fleet never reaches).
	RedialsPerSecond int
}

// config is every master's configuration in the layout.
func (l Layout) config() failover.Config {
	c := MasterConfig(l.Quorum, l.Fence)
	if l.DownAfter > 0 {
		c.DownAfter = l.DownAfter
	}
	if l.FailoverTimeout > 0 {
		c.FailoverTimeout = l.FailoverTimeout
	}
	return c
}

// timing is every sentinel's timing in the layout.
func (l Layout) timing() failover.Timing {
	t := SimTiming()
	if l.InfoPeriod > 0 {
		t.InfoPeriod = l.InfoPeriod
	}
	return t
}

// Group is one master's servers as endpoint names, the master first.
type Group struct {
	Name    string
	Servers []string
}

// Fleet is a world laid out: its groups and sentinels.
type Fleet struct {
	W         *sim.World
	Ledger    *Ledger
	Groups    []Group
	Sentinels []string
	Layout    Layout
}

// SimTiming is redis-sentinel's timing with the INFO period shortened
// (10 s there) so that a seed covers more failovers in less simulated
// time, and TILT shortened likewise.
func SimTiming() failover.Timing {
	t := failover.DefaultTiming()
	t.InfoPeriod = 2 * time.Second
	t.TiltPeriod = 5 * time.Second
	return t
}

// MasterConfig is every simulated master's configuration, fenced when
// fence > 0 (with fence-max-lag 1).
func MasterConfig(quorum, fence int) failover.Config {
	return failover.Config{Quorum: quorum, DownAfter: time.Second, FailoverTimeout: 6 * time.Second, ParallelSyncs: 1,
		FenceReplicas: fence, FenceMaxLag: 1}
}

func redisHost(h int) string { return fmt.Sprintf("10.0.0.%d", h+1) }

// NewFleet builds the world of a layout.
func NewFleet(cfg sim.Config, l Layout) *Fleet {
	f := &Fleet{W: sim.New(cfg), Ledger: NewLedger(l.Sentinels), Layout: l}
	opts := Options{Timing: l.timing(), Ledger: f.Ledger, Mutant: l.Mutant, SaveTimes: l.SaveTimes, RedialsPerSecond: l.RedialsPerSecond}
	for k := 0; k < l.Masters; k++ {
		port := 6380 + k
		g := Group{Name: fmt.Sprintf("master-%d", k)}
		master := sim.Addr{Host: redisHost(0), Port: port}
		for h := 0; h < l.Hosts; h++ {
			ro := simredis.Options{ReplPeriod: 200 * time.Millisecond, ReplTimeout: 5 * time.Second}
			if h > 0 {
				ro.ReplicaOf = master
			}
			name := fmt.Sprintf("redis-%d-%d", h+1, port)
			f.W.Add(name, sim.Addr{Host: redisHost(h), Port: port}, ro.ReplPeriod, simredis.New(ro))
			g.Servers = append(g.Servers, name)
		}
		f.Groups = append(f.Groups, g)
		opts.Masters = append(opts.Masters, Master{Name: g.Name, Addr: master, Config: l.config()})
	}
	// Before the sentinels start: their start begins their view.
	f.Ledger.reach = newReach(f, l.config(), l.timing())
	for k := 0; k < l.Sentinels; k++ {
		name := fmt.Sprintf("sentinel-%d", k+1)
		f.W.Add(name, sim.Addr{Host: fmt.Sprintf("10.0.1.%d", k+1), Port: 26379}, 100*time.Millisecond, Start(opts))
		f.Sentinels = append(f.Sentinels, name)
	}
	f.Ledger.reach.sentinels = f.Sentinels
	isMaster := simredis.IsMasterAt(f.W)
	f.W.Check(func(now time.Time) error {
		if err := f.Ledger.Err(); err != nil {
			return err
		}
		return f.Ledger.CheckSplitBrain(now, 100*time.Millisecond, l.Quorum, isMaster)
	})
	return f
}

// Sentinel is the running sentinel named, nil while it is down.
func (f *Fleet) Sentinel(name string) *Node {
	n, _ := f.W.Node(name).(*Node)
	return n
}

// FencedWritable is the settled check of fencing: the settled master is
// fenced and takes writes.
const FencedWritable = "a settled master is fenced and takes writes"

// CheckSettled checks that every group has settled (one master, the rest
// its replicas, in sync) and that every running sentinel names that
// master (none still cut off from the group, isolation.go): the old
// master was demoted and every failover that could finish did. With fencing, the master is fenced (its replicas are
// attached) and takes writes: no fence was left on a promoted master.
func (f *Fleet) CheckSettled() error {
	for _, g := range f.Groups {
		master, err := simredis.CheckSettled(f.W, g.Servers)
		if err != nil {
			return fmt.Errorf("%s: %w", g.Name, err)
		}
		if srv := f.server(master); f.Layout.Fence > 0 && (!srv.Fenced() || !srv.Writable(f.W.Now())) {
			return fmt.Errorf("%s: %s: master %s fenced %v, takes writes %v (good replicas %d)", g.Name, FencedWritable, master,
				srv.Fenced(), srv.Writable(f.W.Now()), srv.GoodReplicas(f.W.Now()))
		}
		want := f.W.Endpoint(master).Addr()
		for _, s := range f.Sentinels {
			n := f.Sentinel(s)
			if n == nil {
				continue
			}
			m := n.Machine(g.Name)
			if got := m.CurrentMasterAddr(); got.Host != want.Host || got.Port != want.Port {
				return fmt.Errorf("%s: %s says the master is %v, the servers %v (%s)", g.Name, s, got, want, master)
			}
			if m.Isolated {
				return fmt.Errorf("%s: %s still cut off from its group (names no master to clients)", g.Name, s)
			}
		}
	}
	return nil
}
