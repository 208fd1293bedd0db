package sentinel

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// optsDialer is a FakeNet that keeps the options of every link opened.
type optsDialer struct {
	*redislink.FakeNet
	mu   sync.Mutex
	opts []redislink.ConnOptions
}

func (d *optsDialer) Dial(o redislink.ConnOptions) redislink.Conn {
	d.mu.Lock()
	d.opts = append(d.opts, o)
	d.mu.Unlock()
	return d.FakeNet.Dial(o)
}

func (d *optsDialer) first() (redislink.ConnOptions, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.opts) == 0 {
		return redislink.ConnOptions{}, false
	}
	return d.opts[0], true
}

// SENTINEL DEBUG min-link-reconnect-period reaches the links, including
// those already open: it is what keeps a link with late replies from
// being dropped while it is young (redislink.ConnOptions.MinAge).
func TestMinLinkReconnectPeriodReachesOpenLinks(t *testing.T) {
	net := redislink.NewFakeNet()
	m := Addr{Host: "127.0.0.1", Port: 6379}
	net.Add(m.String(), "")
	d := &optsDialer{FakeNet: net}
	s, err := New(fastConfig(26379, m), Options{Dialer: d, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	var o redislink.ConnOptions
	waitFor(t, "a link to the master", 5*time.Second, func() (ok bool) {
		o, ok = d.first()
		return ok
	})
	if o.MinAge == nil || o.MinAge() != 15*time.Second {
		t.Fatalf("a link's MinAge is not redis-sentinel's default 15 s")
	}
	if err := s.DebugSet([]string{"min-link-reconnect-period", "1234"}); err != nil {
		t.Fatal(err)
	}
	if got := o.MinAge(); got != 1234*time.Millisecond {
		t.Fatalf("after SENTINEL DEBUG min-link-reconnect-period 1234, an open link's MinAge is %v", got)
	}
}
