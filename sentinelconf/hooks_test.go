package sentinelconf

import (
	"strings"
	"testing"
)

const hookRule = "hooks:\n  - event: \"+switch-master\"\n    command: [\"/bin/true\"]\n"

// The retry settings are read from YAML and from a --hooks file alike,
// with the documented defaults when absent.
func TestHooksRetryKeys(t *testing.T) {
	path := writeYAML(t, hookRule+"hooks_max_attempts: 5\nhooks_backoff_ms: 200\nhooks_backoff_max_ms: 3000\n")
	f, _, err := LoadYAML(path, "")
	if err != nil {
		t.Fatal(err)
	}
	h, err := LoadHooks(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []Hooks{f.Hooks, h} {
		if got.MaxAttempts != 5 || got.BackoffMs != 200 || got.BackoffMaxMs != 3000 || len(got.Rules) != 1 {
			t.Errorf("hooks %+v", got)
		}
	}
	d, err := LoadHooks(writeYAML(t, hookRule))
	if err != nil {
		t.Fatal(err)
	}
	if d.MaxAttempts != 20 || d.BackoffMs != 1000 || d.BackoffMaxMs != 60000 || d.TimeoutMs != 60000 || d.Concurrency != 4 {
		t.Errorf("defaults %+v", d)
	}
}

// Unusable values are refused with the key's name, in both forms.
func TestHooksRetryKeysValidated(t *testing.T) {
	for extra, want := range map[string]string{
		"hooks_max_attempts: 0\n":                            "hooks_max_attempts: 0 must be at least 1",
		"hooks_backoff_ms: -1\n":                             "hooks_backoff_ms: -1 must be at least 1",
		"hooks_backoff_ms: 5000\nhooks_backoff_max_ms: 10\n": "hooks_backoff_max_ms: 10 is below hooks_backoff_ms 5000",
		"hooks_concurrency: 0\n":                             "hooks_concurrency: 0 must be at least 1",
	} {
		path := writeYAML(t, hookRule+extra)
		if _, _, err := LoadYAML(path, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: LoadYAML error %v, want %q", extra, err, want)
		}
		if _, err := LoadHooks(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: LoadHooks error %v, want %q", extra, err, want)
		}
	}
}
