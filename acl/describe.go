package acl

import (
	"slices"
	"strings"
)

// commandRules is ACLDescribeSelectorCommandRules: the shortest-looking
// rules that rebuild the selector's command bits. It starts from +@all or
// -@all, then repeatedly applies the category that fits best (more commands
// in common than different, fewest differences), then fixes single
// commands. redis walks its command dict in hash order; we walk the table
// in its captured order, so single-command rules may come in another order
// than redis's (which changes from run to run), never with another meaning.
func (s *selector) commandRules(cat *Catalog) string {
	var b strings.Builder
	additive := !s.future
	fake := newSelector(cat, false, false)
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := newSelector(cat, false, false)
	copy(temp.allowed, s.allowed)
	applied := make([]bool, len(Categories))
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat, 1<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		fake.setCategory(cat, 1<<best, additive)
		temp.setCategory(cat, 1<<best, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(Categories[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	s.singleCommandRules(fake, cat.top, &b)
	return strings.TrimSuffix(b.String(), " ")
}

func (s *selector) countCategory(cat *Catalog, flag uint32) (on, off int) {
	for _, cmd := range cat.all {
		if cmd.cats&flag == 0 {
			continue
		}
		if s.allowed[cmd.id] {
			on++
		} else {
			off++
		}
	}
	return on, off
}

func (s *selector) singleCommandRules(fake *selector, cmds []*Command, b *strings.Builder) {
	for _, cmd := range cmds {
		user, have := s.allowed[cmd.id], fake.allowed[cmd.id]
		if user != have {
			if user {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(cmd.name)
			b.WriteByte(' ')
			fake.changePerm(cmd, user)
		}
		s.singleCommandRules(fake, cmd.subs, b)
		if !user {
			for _, a := range s.firstArgs[cmd.id] {
				b.WriteString("+" + cmd.name + "|" + a + " ")
			}
		}
	}
}

// keysText is the keys field of ACL GETUSER.
func (s *selector) keysText() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// channelsText is the channels field of ACL GETUSER.
func (s *selector) channelsText() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is ACLDescribeSelector.
func (s *selector) describe(cat *Catalog) string {
	var b strings.Builder
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.commandRules(cat))
	return b.String()
}

// describe is ACLDescribeUser: the rules after "user <name> " in ACL LIST
// and in the config rewrite.
func (u *User) describe(cat *Catalog) string {
	var b strings.Builder
	for _, f := range flagNames {
		if u.flags&f.flag != 0 {
			b.WriteString(f.name + " ")
		}
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range u.selectors {
		if s.root {
			b.WriteString(s.describe(cat))
		} else {
			b.WriteString(" (" + s.describe(cat) + ")")
		}
	}
	return b.String()
}

// SelectorInfo is one selector as ACL GETUSER shows it.
type SelectorInfo struct {
	Commands, Keys, Channels string
}

// UserInfo is ACL GETUSER's reply: the root selector's fields at the top
// level, the other selectors in Selectors.
type UserInfo struct {
	Flags     []string
	Passwords []string
	Root      SelectorInfo
	Selectors []SelectorInfo
}

func (u *User) info(cat *Catalog) UserInfo {
	ui := UserInfo{Flags: []string{}, Passwords: slices.Clone(u.passwords), Selectors: []SelectorInfo{}}
	if ui.Passwords == nil {
		ui.Passwords = []string{}
	}
	for _, f := range flagNames {
		if u.flags&f.flag != 0 {
			ui.Flags = append(ui.Flags, f.name)
		}
	}
	for _, s := range u.selectors {
		si := SelectorInfo{Commands: s.commandRules(cat), Keys: s.keysText(), Channels: s.channelsText()}
		if s.root {
			ui.Root = si
		} else {
			ui.Selectors = append(ui.Selectors, si)
		}
	}
	return ui
}
