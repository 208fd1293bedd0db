package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sentinel"
)

// BenchmarkScrape1000 is one Prometheus scrape of a real (not running)
// sentinel that watches 1,000 masters with a replica and two peers each:
// Prometheus asks every 15 s by default, and a scrape allocates more than
// a minute of an idle sentinel's own work.
func BenchmarkScrape1000(b *testing.B) {
	s := scrapeSentinel1000(b)
	srv, err := New("127.0.0.1:0", s, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	url := "http://" + srv.Addr().String() + "/metrics"
	scrape := func() int {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return int(n)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for range b.N {
		size = scrape()
	}
	b.ReportMetric(float64(size), "bytes/scrape")
}

// scrapeSentinel1000 is BenchmarkScrape1000's sentinel.
func scrapeSentinel1000(tb testing.TB) *sentinel.Sentinel {
	tb.Helper()
	cfg := sentinel.Config{MyID: "0123456789012345678901234567890123456789", CurrentEpoch: 7, Port: 26379}
	for k := range 1000 {
		m := sentinel.MasterState{
			MasterConfig: sentinel.MasterConfig{Name: fmt.Sprintf("m%d", k), Addr: sentinel.Addr{Host: "127.0.0.1", Port: 30000 + k}, Quorum: 2},
		}
		m.KnownReplicas = []sentinel.Addr{{Host: "127.0.0.1", Port: 40000 + k}}
		for p := range 2 {
			m.KnownSentinels = append(m.KnownSentinels, sentinel.KnownSentinel{
				Addr: sentinel.Addr{Host: "127.0.0.1", Port: 26380 + p}, RunID: fmt.Sprintf("%040d", p+1)})
		}
		cfg.Masters = append(cfg.Masters, m)
	}
	s, err := sentinel.New(cfg, sentinel.Options{Dialer: redislink.NewFakeNet()})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
