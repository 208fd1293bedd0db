package sentinelconf

import (
	"errors"
	"fmt"

	"github.com/spf13/viper"
)

// hooksYAML is the hooks keys of a file given with --hooks after a
// .conf; YAMLConfig has the same keys, and both are checked by hooks.
type hooksYAML struct {
	Hooks             []HookRule `mapstructure:"hooks"`
	HooksJournal      string     `mapstructure:"hooks_journal"`
	HooksConcurrency  int        `mapstructure:"hooks_concurrency"`
	HooksTimeoutMs    int64      `mapstructure:"hooks_timeout_ms"`
	HooksMaxAttempts  int        `mapstructure:"hooks_max_attempts"`
	HooksBackoffMs    int64      `mapstructure:"hooks_backoff_ms"`
	HooksBackoffMaxMs int64      `mapstructure:"hooks_backoff_max_ms"`
}

// hooksDefaults are the documented defaults of the hooks keys (README's
// Hooks section; hooks.Default*).
func hooksDefaults() map[string]any {
	return map[string]any{
		"hooks_journal":        "hooks-journal.json",
		"hooks_concurrency":    4,
		"hooks_timeout_ms":     60000,
		"hooks_max_attempts":   20,
		"hooks_backoff_ms":     1000,
		"hooks_backoff_max_ms": 60000,
	}
}

// hooks checks the keys and names the bad ones as they are written.
func (y hooksYAML) hooks() (Hooks, error) {
	var errs []error
	for i, h := range y.Hooks {
		if h.Event == "" || len(h.Command) == 0 || h.Command[0] == "" {
			errs = append(errs, at(fmt.Errorf("hooks[%d]: event and command (an argv list) are required", i), "hooks", i))
		}
	}
	for _, k := range []struct {
		key string
		v   int64
	}{
		{"hooks_concurrency", int64(y.HooksConcurrency)}, {"hooks_timeout_ms", y.HooksTimeoutMs},
		{"hooks_max_attempts", int64(y.HooksMaxAttempts)}, {"hooks_backoff_ms", y.HooksBackoffMs},
		{"hooks_backoff_max_ms", y.HooksBackoffMaxMs},
	} {
		if k.v < 1 {
			errs = append(errs, at(fmt.Errorf("%s: %d must be at least 1", k.key, k.v), k.key))
		}
	}
	if y.HooksBackoffMaxMs < y.HooksBackoffMs {
		errs = append(errs, at(fmt.Errorf("hooks_backoff_max_ms: %d is below hooks_backoff_ms %d", y.HooksBackoffMaxMs, y.HooksBackoffMs), "hooks_backoff_max_ms"))
	}
	if err := errors.Join(errs...); err != nil {
		return Hooks{}, err
	}
	return Hooks{Rules: y.Hooks, Journal: y.HooksJournal, Concurrency: y.HooksConcurrency, TimeoutMs: y.HooksTimeoutMs,
		MaxAttempts: y.HooksMaxAttempts, BackoffMs: y.HooksBackoffMs, BackoffMaxMs: y.HooksBackoffMaxMs}, nil
}

// LoadHooks reads the hooks keys (hooks, hooks_journal, hooks_concurrency,
// hooks_timeout_ms, hooks_max_attempts, hooks_backoff_ms,
// hooks_backoff_max_ms) from a YAML file, for a .conf start with --hooks.
func LoadHooks(path string) (Hooks, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	for k, d := range hooksDefaults() {
		v.SetDefault(k, d)
	}
	if err := v.ReadInConfig(); err != nil {
		return Hooks{}, fmt.Errorf("hooks file %s: %w", path, err)
	}
	var y hooksYAML
	if err := v.UnmarshalExact(&y); err != nil {
		return Hooks{}, fmt.Errorf("hooks file %s: %w", path, err)
	}
	h, err := y.hooks()
	if err != nil {
		return Hooks{}, fmt.Errorf("hooks file %s: %w", path, err)
	}
	return h, nil
}
