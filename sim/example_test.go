package sim_test

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sim"
	"github.com/qsentinel/qsentinel/sim/invariant"
	"github.com/qsentinel/qsentinel/sim/simredis"
)

// watcher has the shape a sentinel node has in the simulator: it polls
// its master through a sim.Client, publishes and reads hellos on the
// master's pub/sub, keeps its epoch on its disk across restarts, and
// reports to an invariant.Recorder.
type watcher struct {
	ep         *sim.Endpoint
	cl         *sim.Client
	rec        *invariant.Recorder
	master     string // endpoint name of the monitored server
	epoch      uint64
	peers      map[string]bool
	subscribed bool
	role       sentinel.Kind
}

func startWatcher(rec *invariant.Recorder, master string) sim.StartFunc {
	return func(ep *sim.Endpoint) sim.Node {
		w := &watcher{ep: ep, cl: sim.NewClient(ep), rec: rec, master: master, peers: map[string]bool{}}
		if b, ok := ep.Disk().ReadFile("epoch"); ok {
			w.epoch, _ = strconv.ParseUint(string(b), 10, 64)
		}
		return w
	}
}

func (w *watcher) Tick(now time.Time) {
	w.cl.Expire(now)
	if !w.subscribed {
		w.subscribed = true
		w.cl.Do(now, w.master, "pubsub", time.Second, []string{"SUBSCRIBE", "__sentinel__:hello"},
			func(_ any, err error) { w.subscribed = err == nil })
	}
	w.cl.Do(now, w.master, "cmd", time.Second, []string{"INFO"}, func(v any, err error) {
		if s, ok := v.(string); ok && err == nil {
			w.role = sentinel.ParseInfo(s).Role
		}
	})
	w.cl.Do(now, w.master, "cmd", time.Second, []string{"PUBLISH", "__sentinel__:hello", w.ep.Name()}, nil)
	// A new epoch each tick, persisted before it is used.
	w.epoch++
	w.ep.Disk().WriteFile("epoch", []byte(strconv.FormatUint(w.epoch, 10)))
	w.rec.Report(invariant.Report{Sentinel: w.ep.Name(), Master: "mymaster", Addr: "10.0.0.1:6380", CurrentEpoch: w.epoch})
}

func (w *watcher) Receive(_ time.Time, from string, msg sim.Msg) {
	if w.cl.Handle(from, msg) {
		return
	}
	switch m := msg.(type) {
	case sim.Message:
		if m.Payload != w.ep.Name() {
			w.peers[m.Payload] = true
		}
	case sim.Closed:
		w.subscribed = false // resubscribe at the next tick
	}
}

// Example shows how sentinel nodes plug into the world: a Redis model, two
// watchers, a World.Check with the invariant recorder, a restart.
func Example() {
	w := sim.New(sim.Config{Seed: 42})
	rec := invariant.NewRecorder()
	w.Check(func(time.Time) error { return rec.Err() })
	w.Add("redis-6380", sim.Addr{Host: "10.0.0.1", Port: 6380}, 100*time.Millisecond, simredis.New(simredis.Options{}))
	for i := 1; i <= 2; i++ {
		name := fmt.Sprintf("sentinel-%d", i)
		w.Add(name, sim.Addr{Host: "10.0.0.2", Port: 26378 + i}, time.Second, startWatcher(rec, "redis-6380"))
	}
	if err := w.RunFor(5 * time.Second); err != nil {
		fmt.Println(err)
	}
	for _, name := range []string{"sentinel-1", "sentinel-2"} {
		s := w.Node(name).(*watcher)
		fmt.Printf("%s: master role %v, hears %v, epoch %d\n", name, s.role, slices.Sorted(maps.Keys(s.peers)), s.epoch)
	}
	w.Restart("sentinel-1")
	fmt.Println("after restart: epoch", w.Node("sentinel-1").(*watcher).epoch, "hears", len(w.Node("sentinel-1").(*watcher).peers))
	w.RunFor(3 * time.Second)
	fmt.Println("three seconds later: hears", len(w.Node("sentinel-1").(*watcher).peers), "violation:", rec.Err())
	// Output:
	// sentinel-1: master role master, hears [sentinel-2], epoch 5
	// sentinel-2: master role master, hears [sentinel-1], epoch 5
	// after restart: epoch 5 hears 0
	// three seconds later: hears 1 violation: <nil>
}

// The same world with a watcher that does not read its disk back: the
// recorder sees its epoch go back after the restart, the world's check
// stops the run, and the seed runner prints it with the replay command.
func TestAWatcherThatForgetsItsEpochIsCaught(t *testing.T) {
	rec := &recordingTB{TB: t}
	sim.RunSeeds(rec, sim.SeedOptions{Count: 3, Replay: "go test ./sim/ -run TestAWatcher -seed %d"}, func(cfg sim.Config) (*sim.World, error) {
		w := sim.New(cfg)
		r := invariant.NewRecorder()
		w.Check(func(time.Time) error { return r.Err() })
		w.Add("redis-6380", sim.Addr{Host: "10.0.0.1", Port: 6380}, 100*time.Millisecond, simredis.New(simredis.Options{}))
		start := startWatcher(r, "redis-6380")
		w.Add("sentinel-1", sim.Addr{Host: "10.0.0.2", Port: 26379}, time.Second, func(ep *sim.Endpoint) sim.Node {
			n := start(ep).(*watcher)
			if ep.Incarnation() > 1 && cfg.Seed == 2 {
				n.epoch = 0 // the bug: state not read back from disk
			}
			return n
		})
		w.After(5*time.Second, "restart sentinel-1", func() { w.Restart("sentinel-1") })
		return w, w.RunFor(10 * time.Second)
	})
	if len(rec.errors) != 1 {
		t.Fatalf("got %d failures, want seed 2's: %q", len(rec.errors), rec.errors)
	}
	for _, want := range []string{"seed 2 failed", invariant.EpochsNeverGoBack, "current epoch 5", "current epoch 1",
		"replay: go test ./sim/ -run TestAWatcher -seed 2", "start sentinel-1 #2", "FAIL  invariant"} {
		if !strings.Contains(rec.errors[0], want) {
			t.Errorf("the report lacks %q:\n%s", want, rec.errors[0])
		}
	}
}
