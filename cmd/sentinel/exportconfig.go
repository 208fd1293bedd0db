package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/qsentinel/qsentinel/sdsargs"
	"github.com/qsentinel/qsentinel/sentinelconf"
)

// exportConfig is "sentinel export-config FILE": the config with its
// state-config-file merged in, on stdout, without the state-config-file
// line — the way back to one file, which redis-sentinel (or we, without a
// state file) read as the same state. The files are not changed.
func exportConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, "usage: sentinel export-config FILE\n\nPrints FILE with its state-config-file merged in, as one config file\nthat redis-sentinel reads as the same state. Changes no file.\n")
		return 0
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, "usage: sentinel export-config FILE\n")
		return 2
	}
	f, err := sentinelconf.ParseFile(args[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	lines := make([]string, 0, len(f.Lines))
	for _, l := range f.Lines {
		if a, err := sdsargs.Split(strings.TrimSpace(l)); err == nil && len(a) >= 2 &&
			strings.EqualFold(a[0], "sentinel") && strings.EqualFold(a[1], "state-config-file") {
			continue
		}
		lines = append(lines, l)
	}
	stdout.Write(sentinelconf.Rewrite(lines, &f.Sentinel))
	return 0
}
