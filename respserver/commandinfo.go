package respserver

import (
	_ "embed"
	"strings"

	"github.com/qsentinel/qsentinel/commandtable"
)

// The HELP replies of redis-sentinel 7.0.15's container commands, as
// captured (the COMMAND tables themselves are in commandtable).
var (
	//go:embed data/help_sentinel.txt
	helpSentinel string
	//go:embed data/help_client.txt
	helpClient string
	//go:embed data/help_command.txt
	helpCommand string
	//go:embed data/help_acl.txt
	helpACL string
)

// writeValue replays a captured value as the bytes it was captured as.
func writeValue(w *writer, v commandtable.Value) {
	switch v.Kind {
	case '+':
		w.simple(v.Str)
	case '-':
		w.err(v.Str)
	case ':':
		w.integer(v.Num)
	case '$':
		w.bulk(v.Str)
	case '_':
		w.nullBulk()
	case '*':
		w.array(len(v.Elems))
	case '%':
		w.mapLen(len(v.Elems) / 2)
	case '~':
		w.setLen(len(v.Elems))
	}
	for _, e := range v.Elems {
		writeValue(w, e)
	}
}

// commandTable is the COMMAND tables as a client sees them: the captured
// table, minus what rename-command removed, found under the new names.
type commandTable struct {
	tab   *commandtable.Table
	names []string // in captured order
	// alias, after rename-command, maps the names clients use to the
	// tables' (original) names; nil when nothing was renamed.
	alias map[string]string
}

func loadCommandTable() (*commandTable, error) {
	tab, err := commandtable.Load()
	if err != nil {
		return nil, err
	}
	return &commandTable{tab: tab, names: tab.Names()}, nil
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}
