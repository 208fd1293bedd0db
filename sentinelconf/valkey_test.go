package sentinelconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValkeyPrimaryRebootDirective: a config Valkey 8 rewrote names the
// reboot period "primary-reboot-down-after-period"; we read it, and our
// rewrite puts 7.0's name in its place without leaving the old line.
func TestValkeyPrimaryRebootDirective(t *testing.T) {
	conf := "port 26390\nsentinel monitor m1 127.0.0.1 6399 2\nsentinel primary-reboot-down-after-period m1 1500\n# after\n"
	f, err := Parse("v.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Sentinel.Masters[0].RebootDownAfter; got != 1500*time.Millisecond {
		t.Fatalf("reboot down-after %v, want 1.5s", got)
	}
	path := filepath.Join(t.TempDir(), "sentinel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg := f.Sentinel
	if err := (&ConfStore{Path: path}).Save(&cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	if strings.Contains(out, "primary-reboot") || !strings.Contains(out, "sentinel master-reboot-down-after-period m1 1500\n# after\n") {
		t.Errorf("rewritten config:\n%s", out)
	}
}

// TestRewriteLogLevel: a loglevel set by SENTINEL CONFIG SET is written
// as redis 7.2 writes it: in place of the file's line, or appended unless
// it is the default.
func TestRewriteLogLevel(t *testing.T) {
	for _, tc := range []struct{ file, level, want, notWant string }{
		{"port 26390\nloglevel notice\n", "warning", "port 26390\nloglevel warning\n", ""},
		{"port 26390\n", "debug", "\nloglevel debug\n", ""},
		{"port 26390\n", "notice", "port 26390\n", "loglevel"},
		{"port 26390\nloglevel verbose\n", "", "loglevel verbose\n", ""},
	} {
		f, err := Parse("l.conf", []byte(tc.file))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "sentinel.conf")
		if err := os.WriteFile(path, []byte(tc.file), 0o640); err != nil {
			t.Fatal(err)
		}
		cfg := f.Sentinel
		cfg.LogLevel = tc.level
		if err := (&ConfStore{Path: path}).Save(&cfg); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		if out := string(b); !strings.Contains(out, tc.want) || tc.notWant != "" && strings.Contains(out, tc.notWant) {
			t.Errorf("file %q with loglevel %q rewritten as:\n%s", tc.file, tc.level, out)
		}
	}
}
