package sentinel

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// SENTINEL REMOVE is refused while this sentinel leads a failover of the
// master past sending SLAVEOF NO ONE (the promoted replica would be a
// master nobody names), and accepted before that point and after the end.
func TestRemoveRefusedMidFailover(t *testing.T) {
	m := Addr{Host: "127.0.0.1", Port: 6379}
	for _, tc := range []struct {
		state   failover.State
		refused bool
	}{
		{failover.StateNone, false},
		{failover.StateWaitStart, false},
		{failover.StateSelectSlave, false},
		{failover.StateSendSlaveofNoOne, true},
		{failover.StateWaitPromotion, true},
		{failover.StateReconfSlaves, true},
		{failover.StateUpdateConfig, true},
	} {
		s, err := New(fastConfig(26379, m), Options{Dialer: redislink.NewFakeNet(), Logger: quiet, Store: &memStore{}})
		if err != nil {
			t.Fatal(err)
		}
		g := s.group("mymaster")
		g.mu.Lock()
		if tc.state != failover.StateNone {
			g.m.Master.Flags |= failover.FlagFailoverInProgress
		}
		g.m.State = tc.state
		g.mu.Unlock()
		err = s.Remove("mymaster")
		var re *ReplyError
		switch {
		case tc.refused && (!errors.As(err, &re) || !strings.HasPrefix(re.Msg, "ERR failover in progress for this master ("+tc.state.String()+")")):
			t.Errorf("%s: REMOVE: %v, want refused", tc.state, err)
		case !tc.refused && err != nil:
			t.Errorf("%s: REMOVE: %v, want done", tc.state, err)
		}
		if gone := s.group("mymaster") == nil; gone == tc.refused {
			t.Errorf("%s: removed %v", tc.state, gone)
		}
	}
}

// Right after a failover this sentinel ended, REMOVE waits until a peer
// announces the new configuration (it would otherwise be the only one to
// know), for failover-timeout at most.
func TestRemoveRefusedUntilAnnounced(t *testing.T) {
	m := Addr{Host: "127.0.0.1", Port: 6379}
	const epoch = 5
	for _, tc := range []struct {
		name      string
		peerEpoch uint64
		ago       func(timeout time.Duration) time.Duration // since the switch
		refused   bool
	}{
		{"peer behind, just switched", epoch - 1, func(time.Duration) time.Duration { return 0 }, true},
		{"peer announces the new epoch", epoch, func(time.Duration) time.Duration { return 0 }, false},
		{"peer silent for failover-timeout", epoch - 1, func(d time.Duration) time.Duration { return d + time.Second }, false},
	} {
		cfg := fastConfig(26379, m)
		cfg.Masters[0].KnownSentinels = []KnownSentinel{{Addr: Addr{Host: "127.0.0.1", Port: 26380}, RunID: strings.Repeat("c", 40)}}
		s, err := New(cfg, Options{Dialer: redislink.NewFakeNet(), Logger: quiet, Store: &memStore{}})
		if err != nil {
			t.Fatal(err)
		}
		g := s.group("mymaster")
		g.mu.Lock()
		g.m.ConfigEpoch = epoch
		g.switchedAt = s.clock.Now().Add(-tc.ago(g.failoverTimeout()))
		for _, si := range g.m.Sentinels {
			si.HelloConfigEpoch = tc.peerEpoch
		}
		g.mu.Unlock()
		err = s.Remove("mymaster")
		if refused := err != nil; refused != tc.refused {
			t.Errorf("%s: REMOVE: %v, want refused %v", tc.name, err, tc.refused)
		}
	}
}
