package main

import (
	"io"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// textField says whether a SENTINEL MASTER / REPLICAS / SENTINELS field is
// text even when it looks like a number (a master may be named "1").
func textField(k string) bool {
	switch k {
	case "name", "ip", "runid", "flags", "role-reported", "master-link-status",
		"master-host", "voted-leader", "failover-state", "leader":
		return true
	}
	return false
}

// statusJSON is `sentinel status --json`'s document: the fields redis
// sends as bulk strings, with the numeric ones as JSON numbers, so that
// jq and dashboards compare them as numbers.
func statusJSON(ms []statusMaster) []map[string]any {
	out := make([]map[string]any, 0, len(ms))
	for _, m := range ms {
		reps := make([]map[string]any, 0, len(m.Replicas))
		for _, r := range m.Replicas {
			reps = append(reps, typedFields(r))
		}
		sents := make([]map[string]any, 0, len(m.Sentinels))
		for _, s := range m.Sentinels {
			sents = append(sents, typedFields(s))
		}
		out = append(out, map[string]any{
			"name":               m.Name,
			"master_repl_offset": m.Offset,
			"master":             typedFields(m.Master),
			"replicas":           reps,
			"sentinels":          sents,
		})
	}
	return out
}

// typedFields turns every integer field but the text ones into a number.
func typedFields(fields map[string]string) map[string]any {
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		out[k] = v
		if textField(k) {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && strconv.FormatInt(n, 10) == v {
			out[k] = n
		}
	}
	return out
}

// isTerminal says whether w is a terminal (not a pipe or a file).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
