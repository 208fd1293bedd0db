package metrics

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/qsentinel/qsentinel/redislink"
	"github.com/qsentinel/qsentinel/sentinel"
)

var update = flag.Bool("update", false, "rewrite the golden files of TestScrapeGolden")

// fixedClock stops time, so that what the views say in "ms since" is the
// same at every scrape.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// goldenSentinel is a real, not running sentinel with masters that differ
// in every way the scrape shows: settings, config epochs, peers enough or
// not for CKQUORUM, maintenance, a host name shown as its IP, IPv6.
func goldenSentinel(t *testing.T) *sentinel.Sentinel {
	t.Helper()
	peer := func(p int) sentinel.KnownSentinel {
		return sentinel.KnownSentinel{Addr: sentinel.Addr{Host: "10.0.1.1", Port: 26380 + p}, RunID: fmt.Sprintf("%040d", p+1)}
	}
	cfg := sentinel.DefaultConfig()
	cfg.MyID = "0123456789012345678901234567890123456789"
	cfg.CurrentEpoch = 9
	cfg.ResolveHostnames = true
	cfg.Masters = []sentinel.MasterState{
		{
			MasterConfig: sentinel.MasterConfig{Name: "alpha", Addr: sentinel.Addr{Host: "10.0.0.1", Port: 6379}, Quorum: 2,
				DownAfter: 5 * time.Second, FailoverTimeout: 60 * time.Second, ParallelSyncs: 3},
			ConfigEpoch:    5,
			KnownReplicas:  []sentinel.Addr{{Host: "10.0.0.2", Port: 6379}, {Host: "10.0.0.3", Port: 6380}},
			KnownSentinels: []sentinel.KnownSentinel{peer(0), peer(1)},
		},
		{
			// Alone with quorum 2: NOQUORUM, and the agreement needs the
			// quorum. In maintenance.
			MasterConfig: sentinel.MasterConfig{Name: "beta", Addr: sentinel.Addr{Host: "10.0.0.4", Port: 6379}, Quorum: 2,
				Maintenance: true},
			KnownReplicas: []sentinel.Addr{{Host: "10.0.0.5", Port: 6379}},
		},
		{
			// Known by a name, shown (INFO) as the IP it resolves to.
			MasterConfig: sentinel.MasterConfig{Name: "gamma", Addr: sentinel.Addr{Host: "redis-gamma.example", Port: 7000}, Quorum: 3},
			ConfigEpoch:  8,
			KnownSentinels: []sentinel.KnownSentinel{peer(0), peer(1), peer(2), peer(3),
				{Addr: sentinel.Addr{Host: "fe80::9", Port: 26379}, RunID: fmt.Sprintf("%040d", 9)}},
		},
		{
			MasterConfig:  sentinel.MasterConfig{Name: "delta", Addr: sentinel.Addr{Host: "fe80::1", Port: 6379}, Quorum: 1, ParallelSyncs: 2},
			ConfigEpoch:   1 << 40,
			KnownReplicas: []sentinel.Addr{{Host: "fe80::2", Port: 6379}},
		},
	}
	resolve := func(_ context.Context, host string) ([]string, error) {
		if host == "redis-gamma.example" {
			return []string{"10.0.0.7"}, nil
		}
		return nil, fmt.Errorf("resolve %s: no such host", host)
	}
	s, err := sentinel.New(cfg, sentinel.Options{Dialer: redislink.NewFakeNet(), Resolver: resolve,
		Clock: fixedClock{time.Unix(1_700_000_000, 0)}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SimulateFailure([]string{"crash-after-promotion"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// scrapeProtobufAsText is one /metrics answer in the protobuf format
// (what Prometheus asks for first), decoded and written as text: the
// samples the scrape shares its label pairs between must marshal too.
func scrapeProtobufAsText(t testing.TB, src Source, opts ...Option) string {
	t.Helper()
	rec := scrape(t, src, string(expfmt.NewFormat(expfmt.TypeProtoDelim)), opts...)
	if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusOK || !strings.Contains(ct, "protobuf") {
		t.Fatalf("/metrics: %d %s", rec.Code, ct)
	}
	dec := expfmt.NewDecoder(rec.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	var b strings.Builder
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if _, err := expfmt.MetricFamilyToText(&b, &mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// scrapeText is one /metrics answer (the text format a scraper without an
// Accept header gets), from a Server on src that is not serving.
func scrapeText(t testing.TB, src Source, opts ...Option) string {
	t.Helper()
	rec := scrape(t, src, "", opts...)
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// timeSeries are the series whose values are clocks: kept, but their
// values replaced.
var timeSeries = regexp.MustCompile(`^((?:redis_sentinel_master_last_ok_ping_reply_seconds|redis_start_time_seconds)(?:\{.*\})?) \S+$`)

// normalise drops the Go runtime's and the process's series (they change
// on their own) and the values of clock series.
func normalise(text string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimPrefix(strings.TrimPrefix(line, "# HELP "), "# TYPE ")
		if strings.HasPrefix(body, "go_") || strings.HasPrefix(body, "process_") {
			continue
		}
		if m := timeSeries.FindStringSubmatch(strings.TrimSuffix(line, "\n")); m != nil {
			line = m[1] + " <time>\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

var goldenInstance = Instance{Version: "7.0.15", OS: "Linux 6.1.0 x86_64", Port: 26379, PID: 4242,
	Started: time.Unix(1_699_999_000, 0)}

// TestScrapeGolden: what a scrape of a real sentinel says (names, labels,
// values, HELP and TYPE) is what it said when the golden file was
// written. Run with -update to rewrite it after a change meant to show.
func TestScrapeGolden(t *testing.T) {
	got := normalise(scrapeText(t, goldenSentinel(t), WithInstance(goldenInstance)))
	path := filepath.Join("testdata", "scrape.golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("scrape differs from %s:\n%s", path, lineDiff(string(want), got))
	}
}

// TestScrapeGoldenProtobuf: the protobuf answer says what the text one
// does.
func TestScrapeGoldenProtobuf(t *testing.T) {
	got := normalise(scrapeProtobufAsText(t, goldenSentinel(t), WithInstance(goldenInstance)))
	want, err := os.ReadFile(filepath.Join("testdata", "scrape.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("protobuf scrape differs from the text golden file:\n%s", lineDiff(string(want), got))
	}
}

// scrape1000Golden is the SHA-256 of BenchmarkScrape1000's normalised
// scrape (3.7 MB, too much to keep as text): TestScrapeGolden shows what
// changed, this says the big fixture did not.
const scrape1000Golden = "cba73cfe4f30dc85c4ec2520d32057d50060924c81e7ff6871daf157fe5f3f43"

func TestScrape1000Golden(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3.7 MB scrape")
	}
	got := normalise(scrapeText(t, scrapeSentinel1000(t)))
	if sum := fmt.Sprintf("%x", sha256.Sum256([]byte(got))); sum != scrape1000Golden {
		t.Errorf("the 1,000-master scrape changed: sha256 %s, want %s (%d bytes)", sum, scrape1000Golden, len(got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+), in order.
func lineDiff(want, got string) string {
	in := func(text string) map[string]int {
		n := map[string]int{}
		for _, l := range strings.Split(text, "\n") {
			n[l]++
		}
		return n
	}
	wn, gn := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if gn[l] == 0 {
			fmt.Fprintf(&b, "- %s\n", l)
		} else {
			gn[l]--
		}
	}
	gn = in(got)
	for _, l := range strings.Split(got, "\n") {
		if wn[l] == 0 {
			fmt.Fprintf(&b, "+ %s\n", l)
		} else {
			wn[l]--
		}
	}
	return b.String()
}

// scrape is one /metrics answer from a Server on src that is not serving,
// asked with accept (empty: no Accept header, the text format).
func scrape(t testing.TB, src Source, accept string, opts ...Option) *httptest.ResponseRecorder {
	t.Helper()
	srv, err := New("127.0.0.1:0", src, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.ln.Close()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	promhttp.HandlerFor(srv.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, req)
	return rec
}
