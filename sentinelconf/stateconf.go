package sentinelconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/qsentinel/qsentinel/strerror"
)

// "sentinel state-config-file <path>" keeps what redis-sentinel writes
// back into its .conf — its id, the epochs, discovered replicas and
// peers, the master's address after a failover, what SENTINEL SET and
// SENTINEL CONFIG SET changed — in a file of its own, and the .conf a
// configuration-management tool owns is never rewritten. The directive
// and its semantics are those proposed to redis (#15422) and Valkey
// (#4085): the config file is read first, then the state file, whose
// lines win; a save writes every "sentinel" line to the state file and
// nothing else.
//
// Precisely, for a master the state file has a monitor line for, the
// config file's monitor address, epochs and known-replica/known-sentinel
// lines are not used (its options still are, unless the state file sets
// them too); masters only the config file has are monitored as it says
// (added by the operator since the last save), masters only the state
// file has too (added with SENTINEL MONITOR). A master removed with
// SENTINEL REMOVE comes back at the next start if the config file still
// has it.

// stateConfigDirective reads "sentinel state-config-file <path>": a path
// resolved against the dir lines so far, as redis captures it the moment
// it reads the line.
func (p *parser) stateConfigDirective(args []string) string {
	switch {
	case p.inState:
		return "state-config-file cannot be set in the state-config-file itself."
	case len(args) != 3 || args[2] == "":
		return "Wrong number of arguments for state-config-file."
	}
	p.f.StateConfigFile = p.resolve(args[2])
	return ""
}

// readStateConfig reads the state file, if the config names one and it
// exists, after the config's own lines.
func (p *parser) readStateConfig() error {
	path := p.f.StateConfigFile
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // first start: the first save creates it
	}
	if err != nil {
		return &ConfigError{File: p.path, Reason: fmt.Sprintf("Fatal error, can't open state-config-file '%s': %s", path, strerror.Text(err))}
	}
	p.inState = true
	defer func() { p.inState = false }()
	return p.parseText(path, strings.Split(string(data), "\n"))
}

// stateMasters returns the test that drops the config file's runtime
// lines of the masters the state file has.
func (p *parser) stateMasters() func(queued) bool {
	inState := map[string]bool{}
	for _, e := range p.queue[1] {
		if e.state && len(e.args) > 1 {
			inState[e.args[1]] = true
		}
	}
	if len(inState) == 0 {
		return func(queued) bool { return false }
	}
	return func(e queued) bool {
		if e.state || len(e.args) < 2 || !inState[e.args[1]] {
			return false
		}
		switch strings.ToLower(e.args[0]) {
		case "monitor", "config-epoch", "leader-epoch", "known-replica", "known-slave", "known-sentinel":
			return true
		}
		return false
	}
}

// stateLines are the lines of a state file for cfg: every "sentinel" line
// a rewrite of an empty file would write, under a header.
func stateLines(content []byte) []byte {
	var b strings.Builder
	b.WriteString("# Sentinel runtime state (sentinel state-config-file): written by the sentinel, read after its config file.\n")
	for _, l := range strings.Split(string(content), "\n") {
		if strings.HasPrefix(l, "sentinel ") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}
