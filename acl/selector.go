package acl

import (
	"slices"
	"strings"
)

// Key pattern permissions (%R~, %W~, ~).
const (
	keyRead  = 1
	keyWrite = 2
	keyAll   = keyRead | keyWrite
)

type keyPattern struct {
	flags   int
	pattern string
}

// selector is redis's aclSelector: the commands, keys and channels one set
// of rules allows. Every user has a root selector; "(...)" rules add more.
type selector struct {
	root    bool
	allowed []bool // by command id
	// future is the reserved bit +@all sets and -@all clears: it decides
	// whether a description starts from +@all or -@all.
	future      bool
	allCommands bool // +@all and nothing removed since: skips the bit test
	firstArgs   map[int][]string
	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
}

func newSelector(cat *Catalog, root, allChannels bool) *selector {
	return &selector{root: root, allowed: make([]bool, len(cat.all)), allChannels: allChannels}
}

func (s *selector) clone() *selector {
	d := *s
	d.allowed = slices.Clone(s.allowed)
	d.keys = slices.Clone(s.keys)
	d.channels = slices.Clone(s.channels)
	if s.firstArgs != nil {
		d.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			d.firstArgs[k] = slices.Clone(v)
		}
	}
	return &d
}

// setBit is ACLSetSelectorCommandBit: clearing any bit means the selector
// no longer has every command.
func (s *selector) setBit(id int, v bool) {
	s.allowed[id] = v
	if !v {
		s.allCommands = false
	}
}

// changePerm is ACLChangeSelectorPerm: a container's rule applies to all of
// its subcommands too.
func (s *selector) changePerm(cmd *Command, allow bool) {
	s.setBit(cmd.id, allow)
	delete(s.firstArgs, cmd.id)
	for _, sub := range cmd.subs {
		s.setBit(sub.id, allow)
	}
}

func (s *selector) setCategory(cat *Catalog, flag uint32, allow bool) {
	var walk func(cmds []*Command)
	walk = func(cmds []*Command) {
		for _, cmd := range cmds {
			if cmd.cats&flag != 0 {
				s.changePerm(cmd, allow)
			}
			walk(cmd.subs)
		}
	}
	walk(cat.top)
}

func (s *selector) setAll(allow bool) {
	for i := range s.allowed {
		s.allowed[i] = allow
	}
	s.future, s.allCommands, s.firstArgs = allow, allow, nil
}

func (s *selector) addFirstArg(id int, arg string) {
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[id] {
		if strings.EqualFold(a, arg) {
			return
		}
	}
	s.firstArgs[id] = append(s.firstArgs[id], arg)
}

// hasSpaces is ACLStringHasSpaces: C isspace or NUL.
func hasSpaces(s string) bool {
	return strings.ContainsAny(s, " \t\n\v\f\r\x00")
}

// apply is ACLSetSelector: one rule that concerns commands, keys or
// channels.
func (s *selector) apply(cat *Catalog, op string) error {
	lo := strings.ToLower(op)
	switch {
	case lo == "allkeys" || op == "~*":
		s.allKeys, s.keys = true, nil
	case lo == "resetkeys":
		s.allKeys, s.keys = false, nil
	case lo == "allchannels" || op == "&*":
		s.allChannels, s.channels = true, nil
	case lo == "resetchannels":
		s.allChannels, s.channels = false, nil
	case lo == "allcommands" || lo == "+@all":
		s.setAll(true)
	case lo == "nocommands" || lo == "-@all":
		s.setAll(false)
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.allChannels {
			return errChannelAfterAll
		}
		if hasSpaces(op[1:]) {
			return errSyntax
		}
		if !slices.Contains(s.channels, op[1:]) {
			s.channels = append(s.channels, op[1:])
		}
		s.allChannels = false
	case op[0] == '+' && (len(op) < 2 || op[1] != '@'):
		return s.allow(cat, op[1:])
	case op[0] == '-' && (len(op) < 2 || op[1] != '@'):
		cmd := cat.Lookup(op[1:])
		if cmd == nil {
			return errUnknownCommand
		}
		s.changePerm(cmd, false)
	case op[0] == '+' || op[0] == '-':
		f := categoryFlag(op[2:])
		if f == 0 {
			return errUnknownCommand
		}
		s.setCategory(cat, f, op[0] == '+')
	default:
		return errSyntax
	}
	return nil
}

// allow handles "+cmd", "+cmd|sub" and the deprecated "+cmd|first-arg".
func (s *selector) allow(cat *Catalog, name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := cat.Lookup(name)
		if cmd == nil {
			return errUnknownCommand
		}
		s.changePerm(cmd, true)
		return nil
	}
	cmd := cat.Lookup(name[:i])
	switch {
	case cmd == nil:
		return errUnknownCommand
	case cmd.parent != nil:
		return errFirstArgOfSub
	case i == len(name)-1:
		return errSyntax
	case cmd.HasSubcommands():
		sub := cat.Lookup(name)
		if sub == nil {
			return errUnknownCommand
		}
		s.changePerm(sub, true)
	default:
		s.addFirstArg(cmd.id, name[i+1:])
	}
	return nil
}

func (s *selector) addKeyPattern(op string) error {
	if s.allKeys {
		return errKeyAfterAll
	}
	flags, off := 0, 1
	if op[0] == '%' {
	loop:
		for ; off < len(op); off++ {
			switch c := op[off]; {
			case (c == 'R' || c == 'r') && flags&keyRead == 0:
				flags |= keyRead
			case (c == 'W' || c == 'w') && flags&keyWrite == 0:
				flags |= keyWrite
			case c == '~':
				off++
				break loop
			default:
				return errSyntax
			}
		}
		if flags == 0 {
			// "%~pat": redis 7.0 accepts a pattern with no permission and
			// then crashes describing it; refusing it is the safe choice.
			return errSyntax
		}
	} else {
		flags = keyAll
	}
	pat := op[off:]
	if hasSpaces(pat) {
		return errSyntax
	}
	for i := range s.keys {
		if s.keys[i].pattern == pat {
			s.keys[i].flags |= flags
			s.allKeys = false
			return nil
		}
	}
	s.keys = append(s.keys, keyPattern{flags, pat})
	s.allKeys = false
	return nil
}

// String of a key pattern, as descriptions show it.
func (k keyPattern) String() string {
	switch k.flags {
	case keyRead:
		return "%R~" + k.pattern
	case keyWrite:
		return "%W~" + k.pattern
	}
	return "~" + k.pattern
}
