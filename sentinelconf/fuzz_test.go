package sentinelconf

import (
	"errors"
	"reflect"
	"testing"

	"github.com/qsentinel/qsentinel/sentinel"
)

// FuzzParse checks that Parse never panics, that every failure is a
// ConfigError, and that whatever parses survives a rewrite: the rewritten
// text parses again to the same sentinel config.
func FuzzParse(f *testing.F) {
	f.Add([]byte("port 26379\nsentinel monitor m 127.0.0.1 6379 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.conf", data)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("non-ConfigError %T: %v", err, err)
			}
			_ = ce.RedisFormat()
			return
		}
		out := Rewrite(file.Lines, &file.Sentinel)
		again, err := Parse("fuzz.conf", out)
		if err != nil {
			t.Fatalf("rewritten file does not parse: %v\n%s", err, out)
		}
		// Rewrite drops a known replica at its master's own address (a
		// promotion in progress); everything else must survive.
		for i := range file.Sentinel.Masters {
			m := &file.Sentinel.Masters[i]
			var kept []sentinel.Addr
			for _, r := range m.KnownReplicas {
				if r != m.Addr {
					kept = append(kept, r)
				}
			}
			m.KnownReplicas = kept
		}
		if !reflect.DeepEqual(again.Sentinel, file.Sentinel) {
			t.Fatalf("rewrite changed the config:\n%+v\n%+v\n%s", file.Sentinel, again.Sentinel, out)
		}
		if out2 := Rewrite(again.Lines, &again.Sentinel); string(out2) != string(out) {
			t.Fatalf("rewrite not idempotent:\n%s\n---\n%s", out, out2)
		}
	})
}
