package sentinel

import (
	"strings"
	"testing"
	"time"
)

// TestMasterOptionsWellFormed: every entry of the table can be used by
// every path that will use it, and no two entries claim a name or key.
func TestMasterOptionsWellFormed(t *testing.T) {
	names, keys := map[string]bool{}, map[string]bool{}
	for _, o := range MasterOptions {
		for _, n := range []string{o.Name, o.Alias} {
			if n == "" {
				continue
			}
			if names[strings.ToLower(n)] {
				t.Errorf("%s: name %s used twice", o.Name, n)
			}
			names[strings.ToLower(n)] = true
			if LookupMasterOption(strings.ToUpper(n)) != o {
				t.Errorf("LookupMasterOption(%q) is not %s", strings.ToUpper(n), o.Name)
			}
		}
		if o.YAMLKey != "" {
			if keys[o.YAMLKey] {
				t.Errorf("%s: YAML key %s used twice", o.Name, o.YAMLKey)
			}
			keys[o.YAMLKey] = true
		}
		if o.Args < 1 || o.conf == nil || o.Settable != (o.set != nil) {
			t.Errorf("%s: args %d, conf %v, settable %v with set %v", o.Name, o.Args, o.conf != nil, o.Settable, o.set != nil)
		}
		if o.Directive != (o.lines != nil) {
			t.Errorf("%s: a directive must have rewrite lines, and only a directive", o.Name)
		}
		if (o.View != ViewHidden) != (o.show != nil) {
			t.Errorf("%s: shown in views %v, show %v", o.Name, o.View != ViewHidden, o.show != nil)
		}
	}
	if LookupMasterOption("known-replica") != nil {
		t.Error("known-replica is state, not an option")
	}
}

// TestWithDefaults: unset values get the defaults of the moment; set
// ones, and options whose default is "off", are left alone.
func TestWithDefaults(t *testing.T) {
	tm := DefaultTiming()
	tm.DefaultDownAfter = 1234 * time.Millisecond
	m := MasterConfig{Name: "m", FailoverTimeout: 5 * time.Second}.WithDefaults(tm)
	if m.DownAfter != 1234*time.Millisecond || m.FailoverTimeout != 5*time.Second || m.ParallelSyncs != DefaultParallelSyncs ||
		m.RebootDownAfter != 0 || m.NotificationScript != "" {
		t.Errorf("%+v", m)
	}
}
