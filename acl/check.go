package acl

import (
	"fmt"
	"strings"

	"github.com/qsentinel/qsentinel/glob"
)

// Result is the outcome of a permission check; denials are ordered as in
// redis (ACL_DENIED_*), which picks the highest one to report.
type Result int

// Results of Check.
const (
	OK Result = iota
	DeniedCommand
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// channelArgs says which arguments of a command are pub/sub channels that
// the ACL checks, and whether they are patterns (redis 7.0's channel specs;
// UNSUBSCRIBE and PUNSUBSCRIBE are not checked).
func channelArgs(cmd *Command, nargs int) (from, to int, pattern bool) {
	switch cmd.name {
	case "publish":
		return 1, min(2, nargs), false
	case "subscribe":
		return 1, nargs, false
	case "psubscribe":
		return 1, nargs, true
	}
	return 0, 0, false
}

// check is ACLSelectorCheckCmd. A sentinel's commands have no keys, so
// key patterns never deny anything, as in redis for keyless commands.
func (s *selector) check(cmd *Command, args [][]byte) (Result, int) {
	if !s.allCommands && !cmd.noAuth && !s.allowed[cmd.id] {
		fa := s.firstArgs[cmd.id]
		if len(args) < 2 || fa == nil {
			return DeniedCommand, 0
		}
		idx := 1
		if cmd.parent != nil {
			idx = 2
		}
		if idx >= len(args) || !containsFold(fa, string(args[idx])) {
			return DeniedCommand, 0
		}
	}
	if s.allChannels {
		return OK, 0
	}
	from, to, pattern := channelArgs(cmd, len(args))
	for i := from; i < to; i++ {
		if !s.channelAllowed(string(args[i]), pattern) {
			return DeniedChannel, i
		}
	}
	return OK, 0
}

func containsFold(list []string, s string) bool {
	for _, a := range list {
		if strings.EqualFold(a, s) {
			return true
		}
	}
	return false
}

// channelAllowed is ACLCheckChannelAgainstList: a channel matches the
// patterns; a PSUBSCRIBE pattern must equal one of them literally.
func (s *selector) channelAllowed(ch string, pattern bool) bool {
	for _, p := range s.channels {
		if pattern && p == ch || !pattern && glob.Match(p, ch) {
			return true
		}
	}
	return false
}

// Check is ACLCheckAllUserCommandPerm: may u run cmd with args (args[0] is
// the command name)? On a denial, pos is the argument that caused it (for
// channel denials). Every selector is tried; the most specific denial is
// reported.
func (u *User) Check(cmd *Command, args [][]byte) (res Result, pos int) {
	res = DeniedCommand
	for _, s := range u.selectors {
		r, p := s.check(cmd, args)
		if r == OK {
			return OK, 0
		}
		if r > res || r == res && p > pos {
			res, pos = r, p
		}
	}
	return res, pos
}

// Denial is the error text redis answers for a denied command
// (server.c processCommand).
func Denial(res Result, cmd *Command) string {
	switch res {
	case DeniedCommand:
		return fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", cmd.name)
	case DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "ERR no permission"
}

// DryRunDenial is ACL DRYRUN's text for a denial (a bulk reply, not an
// error).
func DryRunDenial(res Result, cmd *Command, args [][]byte, pos int) string {
	switch res {
	case DeniedKey:
		return fmt.Sprintf("This user has no permissions to access the '%s' key", args[pos])
	case DeniedChannel:
		return fmt.Sprintf("This user has no permissions to access the '%s' channel", args[pos])
	}
	return fmt.Sprintf("This user has no permissions to run the '%s' command", cmd.name)
}

// ChannelsAllowed reports whether u may still listen to the given channels
// and patterns (ACLKillPubsubClientsIfNeeded: a subscriber whose
// permissions no longer cover its subscriptions is disconnected).
func (u *User) ChannelsAllowed(channels, patterns []string) bool {
	var all []string
	for _, s := range u.selectors {
		if s.allChannels {
			return true
		}
		all = append(all, s.channels...)
	}
	up := &selector{channels: all}
	for _, p := range patterns {
		if !up.channelAllowed(p, true) {
			return false
		}
	}
	for _, c := range channels {
		if !up.channelAllowed(c, false) {
			return false
		}
	}
	return true
}
