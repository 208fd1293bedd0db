package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// yamlArgs finds "--config path" (or "-config path", "--config=path")
// anywhere on the command line: the YAML form. rest is every other
// argument.
func yamlArgs(args []string) (path string, rest []string, ok bool, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--config" || a == "-config":
			if i+1 >= len(args) {
				return "", nil, false, fmt.Errorf("%s needs the path of a YAML file", a)
			}
			if ok {
				return "", nil, false, errors.New("--config given twice")
			}
			path, ok = args[i+1], true
			i++
		case strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			if ok {
				return "", nil, false, errors.New("--config given twice")
			}
			_, path, _ = strings.Cut(a, "=")
			ok = true
		default:
			rest = append(rest, a)
		}
	}
	return path, rest, ok, nil
}

// yamlLeftovers is the error for arguments a YAML start does not read:
// redis's "--directive value" options apply to a .conf only, and taking
// them without honouring them would be worse than refusing. When the
// option has a YAML key of the same name, the error names it.
func yamlLeftovers(path string, rest []string) error {
	key := strings.ToLower(strings.ReplaceAll(strings.TrimLeft(rest[0], "-"), "-", "_"))
	if k, _, ok := strings.Cut(key, "="); ok {
		key = k
	}
	msg := fmt.Sprintf("%s: not an option of a YAML start (--config %s reads only our options, see sentinel --help)",
		strings.Join(rest, " "), path)
	if sentinelconf.IsYAMLKey(key) {
		msg += fmt.Sprintf("; set %q in %s or SENTINEL_%s in the environment instead", key, path, strings.ToUpper(key))
	}
	return errors.New(msg)
}

// isYAMLPath says whether a config path is named as a YAML file.
func isYAMLPath(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return true
	}
	return false
}

// yamlHint is the error for a YAML file given where a .conf is expected;
// is says how we know ("is" from its name, "looks like" from its text).
func yamlHint(path, is string) error {
	return fmt.Errorf("%s %s a YAML file: start with sentinel --config %s (a config path alone is a redis-sentinel .conf)", path, is, path)
}

// reportConfigError prints a .conf error. One from the command line
// (redis appends the options after the file's lines, so its line is past
// the file's end) is a bad option, said as such; one in a file is redis's
// FATAL CONFIG FILE ERROR block, byte for byte, preceded by a line naming
// the file (redis's block does not, and an include can be anywhere).
// fileLines is the number of lines of the file, -1 when the error was
// found reading the file alone.
func reportConfigError(w io.Writer, ce *sentinelconf.ConfigError, path string, fileLines int) {
	if fileLines >= 0 && ce.File == path && ce.Line > fileLines {
		fmt.Fprintf(w, "Bad option on the command line: '--%s': %s\n", ce.Text, ce.Reason)
		if strings.Contains(ce.Text, "=") {
			fmt.Fprintln(w, "redis-sentinel's options take their value as the next argument (--port 26380); ours take either form.")
		}
		fmt.Fprintln(w, "Options after the config file are redis-sentinel directives (--port 26380) or ours; see sentinel --help.")
		return
	}
	fmt.Fprintln(w, ce.Error())
	if fields := strings.Fields(ce.Text); len(fields) > 0 && strings.HasSuffix(fields[0], ":") {
		fmt.Fprintln(w, yamlHint(path, "looks like"))
	}
	fmt.Fprint(w, ce.RedisFormat())
}
