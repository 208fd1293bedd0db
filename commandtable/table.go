package commandtable

import (
	"fmt"
	"strings"
)

// Table is the captured COMMAND and COMMAND DOCS replies, indexed by
// command name. It is read-only once loaded.
type Table struct {
	info  map[string]Value // lower-case name -> COMMAND INFO entry
	names []string         // in captured order
	docs  map[string]Value // lower-case name -> docs map
}

// Load parses the captured tables. They are embedded at build time and a
// unit test parses them, so an error here is a build bug.
func Load() (*Table, error) {
	all, err := commands()
	if err != nil {
		return nil, err
	}
	docs, _, err := parse(docsData)
	if err != nil {
		return nil, fmt.Errorf("command docs: %w", err)
	}
	t := &Table{info: map[string]Value{}, docs: map[string]Value{}}
	for _, e := range all.Elems {
		name := e.Name()
		t.info[name] = e
		t.names = append(t.names, name)
	}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		t.docs[docs.Elems[i].Str] = docs.Elems[i+1]
	}
	return t, nil
}

// commands parses the captured COMMAND reply: one entry per command.
func commands() (Value, error) {
	all, _, err := parse(commandData)
	if err != nil {
		return Value{}, fmt.Errorf("command table: %w", err)
	}
	return all, nil
}

// Names are the top-level commands in the order redis-sentinel listed
// them. The slice is the table's own: do not change it.
func (t *Table) Names() []string { return t.names }

// Entry is the COMMAND INFO entry of a top-level command, by its
// lower-case name; subcommands are not found here.
func (t *Table) Entry(name string) (Value, bool) {
	v, ok := t.info[name]
	return v, ok
}

// Info is the COMMAND INFO entry of a command or a "parent|sub"
// subcommand, in any case.
func (t *Table) Info(name string) (Value, bool) { return lookup(name, t.info) }

// Docs is the COMMAND DOCS map of a command or a "parent|sub" subcommand,
// in any case.
func (t *Table) Docs(name string) (Value, bool) { return lookup(name, t.docs) }

// lookup finds a top-level command or a "parent|sub" subcommand entry.
func lookup(name string, top map[string]Value) (Value, bool) {
	name = strings.ToLower(name)
	if v, ok := top[name]; ok {
		return v, true
	}
	parent, sub, ok := strings.Cut(name, "|")
	if !ok {
		return Value{}, false
	}
	p, ok := top[parent]
	if !ok {
		return Value{}, false
	}
	// COMMAND INFO entries keep subcommands at index 9; DOCS maps keep
	// them under "subcommands".
	if p.Kind == '*' {
		for _, e := range p.Subcommands() {
			if e.Name() == parent+"|"+sub {
				return e, true
			}
		}
	}
	if p.Kind == '%' {
		for i := 0; i+1 < len(p.Elems); i += 2 {
			if p.Elems[i].Str == "subcommands" {
				m := p.Elems[i+1]
				for j := 0; j+1 < len(m.Elems); j += 2 {
					if m.Elems[j].Str == parent+"|"+sub {
						return m.Elems[j+1], true
					}
				}
			}
		}
	}
	return Value{}, false
}
