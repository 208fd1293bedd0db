package sentinelconf

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/qsentinel/qsentinel/sdsargs"
	"github.com/qsentinel/qsentinel/sentinel"
)

// BenchmarkSave1000 is one config save of a sentinel watching 1,000
// masters with a replica and two peers each: every vote answered during a
// mass failover waits for one.
func BenchmarkSave1000(b *testing.B) {
	cfg := &sentinel.Config{MyID: "0123456789012345678901234567890123456789", CurrentEpoch: 7, Port: 26379}
	for k := range 1000 {
		m := sentinel.MasterState{
			MasterConfig: sentinel.MasterConfig{Name: fmt.Sprintf("m%d", k), Addr: sentinel.Addr{Host: "127.0.0.1", Port: 30000 + k}, Quorum: 2},
			LeaderEpoch:  7,
		}
		m.KnownReplicas = []sentinel.Addr{{Host: "127.0.0.1", Port: 40000 + k}}
		for p := range 2 {
			m.KnownSentinels = append(m.KnownSentinels, sentinel.KnownSentinel{
				Addr: sentinel.Addr{Host: "127.0.0.1", Port: 26380 + p}, RunID: fmt.Sprintf("%040d", p+1)})
		}
		cfg.Masters = append(cfg.Masters, m)
	}
	store := &ConfStore{Path: filepath.Join(b.TempDir(), "sentinel.conf")}
	if err := store.Save(cfg); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := store.Save(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSplitDirective checks the quick split against sdsargs.Split: the
// same first two words (all rewrite reads), and the same error.
func TestSplitDirective(t *testing.T) {
	for _, line := range []string{
		"", "   ", "port 26379", "sentinel monitor m1 127.0.0.1 6379 2", "\tsentinel\v known-replica  m 1.2.3.4 5",
		"sentinel", `sentinel auth-pass m "a b"`, `sentinel "known-replica" m x 1`, `dir 'unterminated`,
		`logfile a\x41b`, "sentinel \xff\xfe m", "a\fb\rc",
	} {
		want, werr := sdsargs.Split(line)
		if len(want) > 2 {
			want = want[:2]
		}
		var into [2]string
		got, gerr := splitDirective(line, &into)
		if len(got) > 2 {
			got = got[:2]
		}
		if (werr != nil) != (gerr != nil) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("splitDirective(%q) = %q, %v; Split: %q, %v", line, got, gerr, want, werr)
		}
	}
}
