package main

import (
	"fmt"
	"strings"
)

// logFormatArg takes --log-format redis|text|json (or --log-format=...)
// out of the options that follow a .conf path. The .conf form logs
// redis-sentinel's lines by default, so that tools built for them keep
// working; text and JSON are slog's, as a YAML config's log_format. The
// option stays on the command line so that the .conf remains loadable by
// redis-sentinel.
func logFormatArg(args []string) (rest []string, format string, err error) {
	for i := 0; i < len(args); i++ {
		name, v, inline := strings.Cut(args[i], "=")
		if !strings.EqualFold(name, "--log-format") {
			rest = append(rest, args[i])
			continue
		}
		if !inline {
			if i+1 >= len(args) {
				return nil, "", fmt.Errorf("--log-format needs a value: redis, text or json")
			}
			i++
			v = args[i]
		}
		switch v = strings.ToLower(v); v {
		case "redis", "text", "json":
			format = v
		default:
			return nil, "", fmt.Errorf("--log-format: %q must be redis, text or json", v)
		}
	}
	return rest, format, nil
}
