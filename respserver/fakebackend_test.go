package respserver

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/qsentinel/qsentinel/event"
	"github.com/qsentinel/qsentinel/sentinel"
)

// fakeBackend is an in-memory Backend for respserver's unit tests, so that
// a test of framing, limits, auth or a reply's encoding does not start a
// whole monitor over a FakeNet. Views are served from its maps; admin and
// peer calls are recorded in calls (and Monitor/Remove change the views,
// publishing +monitor/-monitor as the monitor does); events published on
// bus reach subscribers through the server's real pub/sub.
type fakeBackend struct {
	mu        sync.Mutex
	id        string
	masters   map[string]sentinel.InstanceView
	replicas  map[string][]sentinel.InstanceView
	sentinels map[string][]sentinel.InstanceView
	calls     []string
	err       error // returned by every Admin call when set
	bus       *event.Bus
	// saved, when set, is the Saved of every vote (is-master-down-by-addr
	// with a run id): the test decides when the vote is on disk.
	saved func() error
	// isolated masters are not named to clients (ClientMasterAddr).
	isolated map[string]bool
}

var (
	_ Views       = (*fakeBackend)(nil)
	_ Admin       = (*fakeBackend)(nil)
	_ Peers       = (*fakeBackend)(nil)
	_ EventSource = (*fakeBackend)(nil)
	_ Stats       = (*fakeBackend)(nil)
	_ Backend     = (*fakeBackend)(nil)
)

// newFakeBackend monitors one master, "mymaster" at 127.0.0.1:6379.
func newFakeBackend() *fakeBackend {
	f := &fakeBackend{
		id:        strings.Repeat("f", 40),
		masters:   map[string]sentinel.InstanceView{},
		replicas:  map[string][]sentinel.InstanceView{},
		sentinels: map[string][]sentinel.InstanceView{},
		bus:       event.NewBus(slog.New(slog.DiscardHandler)),
	}
	f.addMaster("mymaster", "127.0.0.1", 6379)
	return f
}

func (f *fakeBackend) addMaster(name, host string, port int) {
	a := sentinel.Addr{Host: host, Port: port}
	f.masters[name] = sentinel.InstanceView{Name: name, Addr: a, Flags: "master", Fields: []sentinel.Field{
		{Key: "name", Value: name}, {Key: "ip", Value: host}, {Key: "port", Value: fmt.Sprint(port)}, {Key: "flags", Value: "master"},
	}}
}

func (f *fakeBackend) record(format string, args ...any) error {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
	return f.err
}

// recorded returns the calls made so far.
func (f *fakeBackend) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// Views.

func (f *fakeBackend) MyID() string { return f.id }

func (f *fakeBackend) MasterNames() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := make([]string, 0, len(f.masters))
	for n := range f.masters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (f *fakeBackend) Masters() []sentinel.InstanceView {
	var vs []sentinel.InstanceView
	for _, n := range f.MasterNames() {
		v, _ := f.Master(n)
		vs = append(vs, v)
	}
	return vs
}

func (f *fakeBackend) Master(name string) (sentinel.InstanceView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.masters[name]
	if !ok {
		return v, sentinel.ErrNoSuchMaster
	}
	return v, nil
}

func (f *fakeBackend) Replicas(name string) ([]sentinel.InstanceView, error) {
	if _, err := f.Master(name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.replicas[name], nil
}

func (f *fakeBackend) Sentinels(name string) ([]sentinel.InstanceView, error) {
	if _, err := f.Master(name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sentinels[name], nil
}

func (f *fakeBackend) MasterAddr(name string) (sentinel.Addr, bool) {
	v, err := f.Master(name)
	return v.Addr, err == nil
}

func (f *fakeBackend) ClientMasterAddr(name string) (sentinel.Addr, bool) {
	f.mu.Lock()
	isolated := f.isolated[name]
	f.mu.Unlock()
	a, ok := f.MasterAddr(name)
	return a, ok && !isolated
}

func (f *fakeBackend) CKQuorum(name string) (string, bool, error) {
	if _, err := f.Master(name); err != nil {
		return "", false, err
	}
	return "OK 1 usable Sentinels. Quorum and failover authorization can be reached", true, nil
}

func (f *fakeBackend) InfoCache([]string) []sentinel.InfoCacheEntry { return nil }
func (f *fakeBackend) PendingScripts() []sentinel.PendingScript     { return nil }
func (f *fakeBackend) ConfigGet(...string) []sentinel.Field         { return nil }
func (f *fakeBackend) DebugGet() []sentinel.Field                   { return nil }

// Admin.

func (f *fakeBackend) Monitor(name, host string, port, quorum int) error {
	f.mu.Lock()
	if err := f.record("Monitor %s %s %d %d", name, host, port, quorum); err != nil {
		f.mu.Unlock()
		return err
	}
	if _, ok := f.masters[name]; ok {
		f.mu.Unlock()
		return sentinel.ErrDuplicateMaster
	}
	f.addMaster(name, host, port)
	f.mu.Unlock()
	f.bus.Publish(event.Event{Level: event.LevelWarning, Kind: "+monitor", Master: name,
		Instance: event.Instance{Role: event.RoleMaster, Name: name, Addr: event.Addr{Host: host, Port: port}},
		Text:     fmt.Sprintf("quorum %d", quorum)})
	return nil
}

func (f *fakeBackend) Remove(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Remove %s", name); err != nil {
		return err
	}
	if _, ok := f.masters[name]; !ok {
		return sentinel.ErrNoSuchMaster
	}
	delete(f.masters, name)
	return nil
}

func (f *fakeBackend) Set(name string, args []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("Set %s %s", name, strings.Join(args, " "))
}

func (f *fakeBackend) Reset(pattern string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Reset %s", pattern)
	return 0
}

func (f *fakeBackend) FlushConfig() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("FlushConfig")
}

func (f *fakeBackend) ConfigSet(pairs ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("ConfigSet %s", strings.Join(pairs, " "))
}

func (f *fakeBackend) DebugSet(args []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("DebugSet %s", strings.Join(args, " "))
}

func (f *fakeBackend) SimulateFailure(flags []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("SimulateFailure %s", strings.Join(flags, " "))
}

func (f *fakeBackend) Failover(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("Failover %s", name)
}

func (f *fakeBackend) Switchover(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record("Switchover %s", name)
}

// Peers.

func (f *fakeBackend) IsMasterDownByAddr(host string, port int, epoch uint64, runID string) sentinel.DownReply {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("IsMasterDownByAddr %s %d %d %s", host, port, epoch, runID)
	if runID == "*" {
		return sentinel.DownReply{Leader: "*"}
	}
	// A vote: it must be saved before the reply leaves.
	save := f.saved
	if save == nil {
		save = func() error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.record("SaveVotes")
			return nil
		}
	}
	return sentinel.DownReply{Leader: runID, LeaderEpoch: epoch, Saved: save}
}

func (f *fakeBackend) ProcessHello(payload []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ProcessHello %s", payload)
}

// EventSource and Stats.

func (f *fakeBackend) Events() *event.Bus         { return f.bus }
func (f *fakeBackend) Info() sentinel.InfoSummary { return sentinel.InfoSummary{TiltSince: -1} }
func (f *fakeBackend) GossipMembers() int         { return -1 }

// startFakeServer is startServer over a fakeBackend.
func startFakeServer(t testing.TB, cfg Config) (*fakeBackend, string) {
	t.Helper()
	f := newFakeBackend()
	_, addr := serve(t, cfg, f, nil)
	return f, addr
}
