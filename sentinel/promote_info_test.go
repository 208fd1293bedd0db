package sentinel

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/redislink"
)

// The replica being promoted is asked for its INFO the moment its SLAVEOF
// NO ONE transaction is answered, not at the next tick (up to 150 ms
// later: most of the wait for +promoted-slave). A replica only pointed
// elsewhere is not.
func TestInfoRightAfterPromotion(t *testing.T) {
	s, g, ctx := driverGroup(t, redislink.NewFakeNet())
	for _, tc := range []struct {
		name string
		to   Addr
		want bool
	}{
		{"promotion", Addr{}, true},
		{"reconfiguration", Addr{Host: "127.0.0.1", Port: 6390}, false},
	} {
		conn := &heldConn{}
		g.mu.Lock()
		r := failover.NewNode(failover.KindReplica, "127.0.0.1:6380", Addr{Host: "127.0.0.1", Port: 6380}, s.clock.Now())
		i := inst(r)
		i.conn = conn
		r.Disconnected = false
		g.sendAction(ctx, i, failover.Action{Kind: failover.SlaveOf, Node: r, To: tc.to})
		g.mu.Unlock()
		deadline := time.Now().Add(2 * time.Second)
		got := false
		for !got && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			conn.mu.Lock()
			for _, a := range conn.sent {
				got = got || (len(a) == 1 && a[0] == "INFO")
			}
			conn.mu.Unlock()
			if !tc.want && time.Since(deadline.Add(-2*time.Second)) > 200*time.Millisecond {
				break
			}
		}
		if got != tc.want {
			t.Errorf("%s: INFO sent right after the transaction: %v, want %v", tc.name, got, tc.want)
		}
	}
}
