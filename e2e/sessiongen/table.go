package sessiongen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Command is one entry of redis-sentinel's command table: a command or a
// subcommand (Name "sentinel|master"), its arity as COMMAND reports it
// (negative: at least), its documented arguments and its subcommands.
type Command struct {
	Name  string
	Arity int
	Args  []Arg
	Subs  []*Command
}

// Words is the command as sent: "sentinel|master" is SENTINEL MASTER.
func (c *Command) Words() []string { return strings.Split(c.Name, "|") }

// Arg is one documented argument (COMMAND DOCS): its kind ("string",
// "integer", "pattern", "pure-token", "oneof", "block", ...), the token
// that precedes it, and whether it may be left out or repeated.
type Arg struct {
	Name     string
	Type     string
	Token    string
	Optional bool
	Multiple bool
	Args     []Arg
}

// Table is redis-sentinel 7.0's command table, top-level commands sorted
// by name.
type Table struct {
	Commands []*Command
}

// LoadTable reads the COMMAND and COMMAND DOCS replies of redis-sentinel
// captured in dir (commandtable/data: command.resp and docs.resp, RESP3).
func LoadTable(dir string) (*Table, error) {
	cmds, err := readRESP(filepath.Join(dir, "command.resp"))
	if err != nil {
		return nil, err
	}
	docs, err := readRESP(filepath.Join(dir, "docs.resp"))
	if err != nil {
		return nil, err
	}
	docOf := mapOf(docs)
	t := &Table{}
	for _, e := range cmds.Elems {
		c, err := command(e, docOf)
		if err != nil {
			return nil, err
		}
		t.Commands = append(t.Commands, c)
	}
	sort.Slice(t.Commands, func(i, j int) bool { return t.Commands[i].Name < t.Commands[j].Name })
	if len(t.Commands) == 0 {
		return nil, fmt.Errorf("sessiongen: empty command table in %s", dir)
	}
	return t, nil
}

// Lookup finds a command or subcommand by name ("client|kill").
func (t *Table) Lookup(name string) *Command {
	top, sub, _ := strings.Cut(name, "|")
	for _, c := range t.Commands {
		if c.Name != top {
			continue
		}
		if sub == "" {
			return c
		}
		for _, s := range c.Subs {
			if s.Name == name {
				return s
			}
		}
	}
	return nil
}

func readRESP(path string) (cluster.Value, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return cluster.Value{}, fmt.Errorf("sessiongen: %w", err)
	}
	v, err := cluster.NewReader(bytes.NewReader(data)).ReadValue()
	if err != nil {
		return cluster.Value{}, fmt.Errorf("sessiongen: %s: %w", path, err)
	}
	return v, nil
}

// mapOf turns a RESP3 map into a Go map by key text.
func mapOf(v cluster.Value) map[string]cluster.Value {
	m := map[string]cluster.Value{}
	if v.Kind != cluster.Map {
		return m
	}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		m[v.Elems[i].Text()] = v.Elems[i+1]
	}
	return m
}

// command reads one COMMAND entry ([name, arity, flags, first, last,
// step, categories, tips, key specs, subcommands]) and its docs.
func command(e cluster.Value, docOf map[string]cluster.Value) (*Command, error) {
	if e.Kind != cluster.Array || len(e.Elems) < 2 {
		return nil, fmt.Errorf("sessiongen: bad COMMAND entry %s", e)
	}
	c := &Command{Name: e.Elems[0].Text(), Arity: int(e.Elems[1].Int)}
	doc := mapOf(docOf[c.Name])
	c.Args = args(doc["arguments"])
	if len(e.Elems) > 9 {
		subDocs := mapOf(doc["subcommands"])
		for _, se := range e.Elems[9].Elems {
			s, err := command(se, subDocs)
			if err != nil {
				return nil, err
			}
			c.Subs = append(c.Subs, s)
		}
		sort.Slice(c.Subs, func(i, j int) bool { return c.Subs[i].Name < c.Subs[j].Name })
	}
	return c, nil
}

func args(v cluster.Value) []Arg {
	var out []Arg
	for _, e := range v.Elems {
		m := mapOf(e)
		a := Arg{Name: m["name"].Text(), Type: m["type"].Text(), Token: m["token"].Text()}
		for _, f := range m["flags"].Elems {
			switch f.Text() {
			case "optional":
				a.Optional = true
			case "multiple":
				a.Multiple = true
			}
		}
		a.Args = args(m["arguments"])
		out = append(out, a)
	}
	return out
}
