package sentinel

import (
	"errors"
	"strings"
	"testing"

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
