package sentinelconf

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/qsentinel/qsentinel/sentinel"
)

// yamlMaster converts one YAML master. name, host and port say what to
// monitor; every other key is a per-master option's YAMLKey, read and
// checked by the option itself exactly as its "sentinel <option> <name>
// <value>" line would be, so the YAML and .conf forms accept the same
// values with the same error texts. An empty value, or 0 for a number,
// leaves the option at its default, as the example file documents. Relative script
// paths are relative to dir, where the sentinel runs from.
func yamlMaster(raw map[string]any, dir string) (sentinel.MasterConfig, error) {
	var m sentinel.MasterConfig
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error found does not depend on map order
	resolve := func(p string) string {
		if dir == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for _, k := range keys {
		v, err := yamlScalar(raw[k])
		if err != nil {
			return m, at(fmt.Errorf("%s: %w", k, err), k)
		}
		switch k {
		case "name":
			m.Name = v
			continue
		case "host":
			m.Addr.Host = v
			continue
		case "port":
			if v == "" {
				continue
			}
			if m.Addr.Port, err = strconv.Atoi(v); err != nil {
				return m, at(fmt.Errorf("port: %q is not a number", v), k)
			}
			continue
		}
		o := yamlOption(k)
		if o == nil {
			return m, at(fmt.Errorf("unknown key %q", k), k)
		}
		if v == "" || o.Number && v == "0" {
			continue // the default
		}
		if reason := o.ParseConf(&m, []string{v}, resolve); reason != "" {
			return m, at(fmt.Errorf("%s: %s", k, reason), k)
		}
	}
	if m.Addr.Host == "" {
		return m, errors.New("host is required")
	}
	return m, nil
}

// yamlOption is the single-valued option a YAML master key sets.
func yamlOption(key string) *sentinel.MasterOption {
	for _, o := range sentinel.MasterOptions {
		if o.YAMLKey == key && o.Args == 1 {
			return o
		}
	}
	return nil
}

// yamlScalar is a YAML value as the text a .conf line would hold.
func yamlScalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int, int64, int32, uint, uint64, uint32:
		return fmt.Sprint(v), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%v: want a string or an integer", v)
}
