package sentinel

import (
	"context"
	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// The producer fills the typed fields with the addresses as reported (the
// IP, or the name with announce-hostnames), and the payloads are the ones
// the hand-made concatenation gave before events were typed.
func TestEmitFillsShownAddresses(t *testing.T) {
	dns := &fakeDNS{names: map[string]string{"db-master.test": "10.0.0.1", "db-replica.test": "10.0.0.2"}}
	cfg := fastConfig(26379, Addr{Host: "db-master.test", Port: 6379})
	cfg.ResolveHostnames = true
	s, err := New(cfg, Options{Dialer: redislink.NewFakeNet(), Store: &memStore{}, Logger: quiet, Resolver: dns.lookup})
	if err != nil {
		t.Fatal(err)
	}
	s.refreshIP(context.Background(), "db-replica.test")
	g := s.group("mymaster")
	r := inst(failover.NewNode(KindReplica, "db-replica.test:6380", Addr{Host: "db-replica.test", Port: 6380}, time.Now()))
	sub := s.Events().Subscribe(16)
	defer sub.Close()
	// old is the payload as emit and the two +switch-master call sites
	// built it by hand.
	old := func(mHost, rHost string) []string {
		m := "master mymaster " + mHost + " 6379"
		return []string{
			"slave db-replica.test:6380 " + rHost + " 6380 @ mymaster " + mHost + " 6379",
			m + " #quorum 2/3",
			"mymaster" + " " + mHost + " " + strconv.Itoa(6379) + " " + rHost + " " + strconv.Itoa(6380),
			"7",
			strings.Repeat("a", 40) + " 7",
		}
	}
	for _, c := range []struct {
		announce     string
		mHost, rHost string
	}{{"no", "10.0.0.1", "10.0.0.2"}, {"yes", "db-master.test", "db-replica.test"}} {
		if err := s.ConfigSet("announce-hostnames", c.announce); err != nil {
			t.Fatal(err)
		}
		g.mu.Lock()
		g.emit(LevelWarning, "+sdown", r, "")
		// The machine's events carry its addresses; the driver shows them.
		m := g.master.Addr
		g.publishDecided(event.Event{Level: LevelWarning, Kind: event.ODown, Master: "mymaster", Votes: 2, Quorum: 3,
			Instance: event.Instance{Role: event.RoleMaster, Name: "mymaster", Addr: event.Addr(m)}})
		g.publishDecided(event.Event{Level: LevelWarning, Kind: event.SwitchMaster, Master: "mymaster", From: event.Addr(m), To: event.Addr(r.Addr)})
		g.publishDecided(event.Event{Level: LevelWarning, Kind: event.NewEpoch, Master: "mymaster", Epoch: 7})
		g.publishDecided(event.Event{Level: LevelWarning, Kind: event.VoteForLeader, Master: "mymaster", Leader: strings.Repeat("a", 40), Epoch: 7})
		g.mu.Unlock()
		for n, want := range old(c.mHost, c.rHost) {
			e := <-sub.C
			if e.Master != "mymaster" || e.Level != LevelWarning {
				t.Errorf("announce-hostnames %s: %s master %q level %d", c.announce, e.Kind, e.Master, e.Level)
			}
			if got := e.Payload(); got != want {
				t.Errorf("announce-hostnames %s: event %d %s payload %q, want %q", c.announce, n, e.Kind, got, want)
			}
			if e.Kind == event.SwitchMaster && (e.From.Host != c.mHost || e.To != (event.Addr{Host: c.rHost, Port: 6380})) {
				t.Errorf("announce-hostnames %s: switch from %v to %v", c.announce, e.From, e.To)
			}
		}
	}
}
