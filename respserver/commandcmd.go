package respserver

import (
	"strings"

	"github.com/qsentinel/qsentinel/commandtable"
	"github.com/qsentinel/qsentinel/glob"
)

// commandTab is the COMMAND tables, parsed on first use.
func (s *Server) commandTab() *commandTable {
	s.cmdOnce.Do(func() {
		t, err := loadCommandTable()
		if err != nil {
			// The tables are embedded at build time and a unit test
			// parses them: failing here is a build bug.
			panic(err)
		}
		s.cmdTab = t.renamed(s.cfg.Renames)
	})
	return s.cmdTab
}

// cmdCommand is COMMAND without a subcommand: every command's details.
func cmdCommand(s *Server, c *client, args [][]byte) bool {
	t := s.commandTab()
	c.w.array(len(t.names))
	for _, n := range t.names {
		v, _ := t.tab.Entry(n)
		writeValue(&c.w, v)
	}
	return false
}

func commandSubcommands() map[string]subcommand {
	return map[string]subcommand{
		"count": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.integer(int64(len(s.commandTab().names)))
			return false
		}},
		"list": {-2, cmdCommandList},
		"info": {-2, func(s *Server, c *client, args [][]byte) bool {
			t := s.commandTab()
			if len(args) == 2 {
				return cmdCommand(s, c, args)
			}
			c.w.array(len(args) - 2)
			for _, a := range args[2:] {
				if n, ok := t.resolve(string(a)); !ok {
					c.w.nullBulk()
				} else if v, ok := t.tab.Info(n); ok {
					writeValue(&c.w, v)
				} else {
					c.w.nullBulk()
				}
			}
			return false
		}},
		"docs": {-2, func(s *Server, c *client, args [][]byte) bool {
			t := s.commandTab()
			names, vals := t.names, []commandtable.Value(nil)
			if len(args) > 2 {
				names = nil
				for _, a := range args[2:] {
					// Named as in the tables: a renamed command's docs
					// carry its original name, as redis's fullname.
					if n, ok := t.resolve(string(a)); ok {
						if v, ok := t.tab.Docs(n); ok {
							names, vals = append(names, n), append(vals, v)
						}
					}
				}
			}
			c.w.mapLen(len(names))
			for i, n := range names {
				var v commandtable.Value
				if vals != nil {
					v = vals[i]
				} else {
					v, _ = t.tab.Docs(n)
				}
				c.w.bulk(n)
				writeValue(&c.w, v)
			}
			return false
		}},
		"getkeys": {-4, func(s *Server, c *client, args [][]byte) bool {
			return commandGetKeys(s, c, args)
		}},
		"getkeysandflags": {-4, func(s *Server, c *client, args [][]byte) bool {
			return commandGetKeys(s, c, args)
		}},
		"help": {2, func(s *Server, c *client, args [][]byte) bool {
			c.w.statusLines(splitLines(helpCommand))
			return false
		}},
	}
}

// No sentinel command takes keys.
func commandGetKeys(s *Server, c *client, args [][]byte) bool {
	t := s.commandTab()
	if n, ok := t.resolve(string(args[2])); !ok || !t.hasEntry(n) {
		return s.reject(c, "ERR Invalid command specified")
	}
	return s.reject(c, "ERR The command has no key arguments")
}

// renamed is the table as rename-command left it: removed commands are
// gone, renamed ones are found under their new names only but still
// described with their original ones, as redis's fullname.
func (t *commandTable) renamed(renames map[string]string) *commandTable {
	if len(renames) == 0 {
		return t
	}
	out := &commandTable{tab: t.tab, alias: map[string]string{}}
	for _, n := range t.names {
		to, ok := renames[n]
		switch {
		case !ok:
			out.alias[n] = n
		case to == "":
			continue
		default:
			out.alias[strings.ToLower(to)] = n
		}
		out.names = append(out.names, n)
	}
	return out
}

// resolve maps a name as a client types it ("ping", "sentinel|myid") to
// the tables' name, following rename-command.
func (t *commandTable) resolve(name string) (string, bool) {
	name = strings.ToLower(name)
	if t.alias == nil {
		return name, true
	}
	parent, sub, hasSub := strings.Cut(name, "|")
	orig, ok := t.alias[parent]
	if !ok {
		return "", false
	}
	if hasSub {
		return orig + "|" + sub, true
	}
	return orig, true
}

// hasEntry reports whether name (as resolved) is a top-level command:
// COMMAND GETKEYS takes no "parent|sub" name.
func (t *commandTable) hasEntry(name string) bool {
	_, ok := t.tab.Entry(name)
	return ok
}

// cmdCommandList is COMMAND LIST [FILTERBY MODULE|ACLCAT|PATTERN <arg>], as
// redis 7.0's commandListCommand: any other argument is a syntax error, a
// later FILTERBY replaces an earlier one, and like redis it names
// subcommands too ("sentinel|master").
func cmdCommandList(s *Server, c *client, args [][]byte) bool {
	var filter func(e commandtable.Value) bool // true: listed
	for i := 2; i < len(args); i++ {
		more := len(args) - 1 - i
		if !strings.EqualFold(string(args[i]), "filterby") || more != 2 {
			return s.reject(c, "ERR syntax error")
		}
		arg := string(args[i+2])
		switch strings.ToLower(string(args[i+1])) {
		case "module":
			// A sentinel has no modules: nothing belongs to one.
			filter = func(commandtable.Value) bool { return false }
		case "aclcat":
			// An unknown category lists nothing, as in redis.
			cat := "@" + strings.ToLower(arg)
			filter = func(e commandtable.Value) bool {
				for _, cv := range e.Categories() {
					if strings.ToLower(cv.Str) == cat {
						return true
					}
				}
				return false
			}
		case "pattern":
			filter = func(e commandtable.Value) bool { return len(e.Elems) > 0 && glob.MatchFold(arg, e.Name()) }
		default:
			return s.reject(c, "ERR syntax error")
		}
		i += 2
	}
	t := s.commandTab()
	var names []string
	add := func(e commandtable.Value) {
		if filter == nil || filter(e) {
			names = append(names, e.Name())
		}
	}
	for _, n := range t.names {
		e, _ := t.tab.Entry(n)
		add(e)
		for _, sub := range e.Subcommands() {
			add(sub)
		}
	}
	c.w.array(len(names))
	for _, n := range names {
		c.w.bulk(n)
	}
	return false
}
