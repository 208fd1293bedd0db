package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/respserver"
	"github.com/qsentinel/qsentinel/sentinelconf"
)

// checkConfig is "sentinel check-config FILE [--options...]" or
// "sentinel check-config --config FILE.yaml": the config read and checked
// as a start would (directives, sentinel lines, the state-config-file or
// YAML state file, ACL users and aclfile), with nothing written, created,
// opened for writing or listened on. Exit 0 and a summary, or 1 and the
// error as the start would report it.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		w, code := stdout, 0
		if len(args) == 0 {
			w, code = stderr, 2
		}
		fmt.Fprint(w, "usage: sentinel check-config FILE [--option value ...]\n       sentinel check-config --config FILE.yaml\n\nReads and checks a config as a start would, changing nothing.\n")
		return code
	}
	var f *sentinelconf.File
	var err error
	if args[0] == "--config" || args[0] == "-config" {
		if len(args) != 2 {
			fmt.Fprintln(stderr, "check-config: --config takes one YAML file")
			return 2
		}
		var y *sentinelconf.YAMLConfig
		f, y, err = sentinelconf.LoadYAML(args[1], "SENTINEL")
		if err == nil {
			err = sentinelconf.LoadState(y.StatePath(f.Server.Dir), &f.Sentinel)
		}
	} else {
		rest, _, xerr := extraArgs(args[1:])
		if xerr != nil {
			fmt.Fprintln(stderr, xerr)
			return 1
		}
		if f, err = sentinelconf.ParseFile(args[0]); err == nil {
			err = sentinelconf.ApplyArgs(f, rest)
		}
	}
	if err != nil {
		var ce *sentinelconf.ConfigError
		if errors.As(err, &ce) {
			fmt.Fprint(stderr, ce.RedisFormat())
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	var aclErrs []string
	_, err = respserver.NewACL(f.Server.RequirePass, f.Server.Users, f.Server.ACLFile, acl.Options{
		PubsubAllChannels: f.Server.ACLPubsubAll, LogMaxLen: -1,
		Warn: func(m string) { aclErrs = append(aclErrs, m) }, Notice: func(string) {},
	})
	if err != nil {
		var le *acl.LoadError
		if errors.As(err, &le) {
			aclErrs = append(aclErrs, le.Lines...)
		} else {
			aclErrs = append(aclErrs, err.Error())
		}
		fmt.Fprintln(stderr, strings.Join(aclErrs, "\n"))
		return 1
	}
	var names []string
	for _, m := range f.Sentinel.Masters {
		names = append(names, m.Name)
	}
	fmt.Fprintf(stdout, "OK: port %d, %d masters (%s)\n", f.Server.Port, len(names), strings.Join(names, ", "))
	return 0
}
