package acl

import (
	"fmt"
	"strings"
)

// Categories are redis 7.0's ACL categories in the order ACL CAT lists
// them and rule descriptions try them (acl.c ACLCommandCategories).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash",
	"string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin",
	"fast", "slow", "blocking", "dangerous", "connection", "transaction",
	"scripting",
}

// categoryFlag returns the bit of a category name (case-insensitive), or 0.
func categoryFlag(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// CommandSpec describes one command (or subcommand) of the server's table,
// as COMMAND INFO shows it.
type CommandSpec struct {
	Name        string // lower case; "parent|sub" for a subcommand
	Categories  []string
	NoAuth      bool // the no_auth flag: AUTH and HELLO run before login
	Subcommands []CommandSpec
}

// Command is a command of the catalog. Rules and checks refer to it.
type Command struct {
	id       int
	name     string // full name, as NOPERM texts and ACL LOG show it
	cats     uint32
	noAuth   bool
	parent   *Command
	subs     []*Command
	subNames map[string]*Command
}

// Name is the full name ("sentinel|set").
func (c *Command) Name() string { return c.name }

// Sub returns the subcommand named sub (case-insensitive), or nil.
func (c *Command) Sub(sub string) *Command {
	if c.subNames == nil {
		return nil
	}
	return c.subNames[strings.ToLower(sub)]
}

// HasSubcommands reports whether the command is a container (SENTINEL,
// CLIENT, ...).
func (c *Command) HasSubcommands() bool { return c.subNames != nil }

// Catalog is the command table rules are written against. It is read-only
// once built and safe for concurrent use.
type Catalog struct {
	top  []*Command          // in table order: the order of descriptions
	all  []*Command          // by id
	byNm map[string]*Command // top-level commands by lower-case name
}

// NewCatalog builds a catalog from specs; an unknown category is an error
// (the table would not be redis's).
func NewCatalog(specs []CommandSpec) (*Catalog, error) {
	c := &Catalog{byNm: map[string]*Command{}}
	var add func(s CommandSpec, parent *Command) (*Command, error)
	add = func(s CommandSpec, parent *Command) (*Command, error) {
		cmd := &Command{id: len(c.all), name: strings.ToLower(s.Name), noAuth: s.NoAuth, parent: parent}
		for _, cat := range s.Categories {
			f := categoryFlag(strings.TrimPrefix(cat, "@"))
			if f == 0 {
				return nil, fmt.Errorf("acl: command %s: unknown category %q", s.Name, cat)
			}
			cmd.cats |= f
		}
		c.all = append(c.all, cmd)
		if len(s.Subcommands) > 0 {
			cmd.subNames = map[string]*Command{}
			for _, ss := range s.Subcommands {
				sub, err := add(ss, cmd)
				if err != nil {
					return nil, err
				}
				short := sub.name
				if i := strings.IndexByte(short, '|'); i >= 0 {
					short = short[i+1:]
				}
				cmd.subs = append(cmd.subs, sub)
				cmd.subNames[short] = sub
			}
		}
		return cmd, nil
	}
	for _, s := range specs {
		cmd, err := add(s, nil)
		if err != nil {
			return nil, err
		}
		c.top = append(c.top, cmd)
		c.byNm[cmd.name] = cmd
	}
	return c, nil
}

// Command returns the top-level command name (case-insensitive), or nil.
func (c *Catalog) Command(name string) *Command { return c.byNm[strings.ToLower(name)] }

// Lookup resolves "cmd" or "cmd|sub" as ACL rules name commands
// (ACLLookupCommand): more than one "|", an unknown part, or a subcommand
// of a command without subcommands give nil.
func (c *Catalog) Lookup(name string) *Command {
	parts := strings.Split(name, "|")
	if len(parts) > 2 {
		return nil
	}
	base := c.Command(parts[0])
	if base == nil || len(parts) == 1 {
		return base
	}
	return base.Sub(parts[1])
}

// InCategory lists the full names of the commands in category, in table
// order with subcommands after their parent (ACL CAT <category>); ok is
// false for an unknown category.
func (c *Catalog) InCategory(category string) (names []string, ok bool) {
	f := categoryFlag(category)
	if f == 0 {
		return nil, false
	}
	names = []string{}
	var walk func(cmds []*Command)
	walk = func(cmds []*Command) {
		for _, cmd := range cmds {
			if cmd.cats&f != 0 {
				names = append(names, cmd.name)
			}
			walk(cmd.subs)
		}
	}
	walk(c.top)
	return names, true
}
