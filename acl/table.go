package acl

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Options are the server settings the ACL depends on.
type Options struct {
	// PubsubAllChannels is "acl-pubsub-default allchannels": new users and
	// "reset" allow every channel (redis 7.0's default is resetchannels).
	PubsubAllChannels bool
	// LogMaxLen is acllog-max-len (128 when zero; use a negative value
	// for a log that keeps nothing).
	LogMaxLen int
	// Warn, when set, receives what redis logs about rules it accepts
	// reluctantly (the deprecated "+cmd|first-arg"); Notice what it logs
	// at notice level (a configured user left disabled).
	Warn, Notice func(msg string)
}

// Table holds the users. It is safe for concurrent use: users are
// replaced, never changed in place, so a *User a caller holds stays
// consistent.
type Table struct {
	cat  *Catalog
	opts Options

	mu    sync.RWMutex
	users map[string]*User

	Log *Log
}

// NewTable returns a table with redis's initial default user: on, nopass,
// every command, key and channel.
func NewTable(cat *Catalog, opts Options) *Table {
	if opts.LogMaxLen == 0 {
		opts.LogMaxLen = 128
	}
	t := &Table{cat: cat, opts: opts, users: map[string]*User{}, Log: newLog(max(opts.LogMaxLen, 0))}
	t.users["default"] = newDefaultUser(cat, opts.PubsubAllChannels)
	return t
}

// newDefaultUser is ACLCreateDefaultUser.
func newDefaultUser(cat *Catalog, pubsubAll bool) *User {
	def := newUser(cat, "default", pubsubAll)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		def.apply(cat, op, pubsubAll)
	}
	return def
}

// Catalog is the command table the rules refer to.
func (t *Table) Catalog() *Catalog { return t.cat }

// SetDefaultPassword is requirepass (ACLUpdateDefaultUserPassword): the
// default user gets exactly this password, or nopass when it is empty.
func (t *Table) SetDefaultPassword(pass string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.users["default"].clone()
	u.apply(t.cat, "resetpass", t.opts.PubsubAllChannels)
	if pass == "" {
		u.apply(t.cat, "nopass", t.opts.PubsubAllChannels)
	} else {
		u.apply(t.cat, ">"+pass, t.opts.PubsubAllChannels)
	}
	t.users["default"] = u
}

// User returns the named user, or nil.
func (t *Table) User(name string) *User {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users[name]
}

// Names lists the users in name order (redis keeps them in a radix tree).
func (t *Table) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.sortedNames()
}

// sortedNames is Names with t.mu held.
func (t *Table) sortedNames() []string {
	names := make([]string, 0, len(t.users))
	for n := range t.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// List is ACL LIST: "user <name> <rules>" per user, in name order; the
// config rewrite writes the same lines.
func (t *Table) List() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := t.sortedNames()
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "user " + n + " " + t.users[n].describe(t.cat)
	}
	return out
}

// Info is ACL GETUSER; ok is false for an unknown user.
func (t *Table) Info(name string) (UserInfo, bool) {
	u := t.User(name)
	if u == nil {
		return UserInfo{}, false
	}
	return u.info(t.cat), true
}

// Authenticate is ACLCheckUserCredentials: the user exists, is on and
// the password is one of its own (or it has nopass).
func (t *Table) Authenticate(name, pass string) bool {
	u := t.User(name)
	return u != nil && u.Enabled() && u.CheckPassword(pass)
}

// SetUser is ACL SETUSER: the rules apply to a copy of the user (a new
// user if it does not exist) and replace it only if all are valid. before
// and after are the old and new user (before is nil for a new user), so
// that the caller can disconnect subscribers that lost a channel.
func (t *Table) SetUser(name string, rules []string) (before, after *User, err error) {
	if hasSpaces(name) {
		return nil, nil, errors.New("Usernames can't contain spaces or null characters")
	}
	merged, bad := mergeSelectors(rules)
	if bad >= 0 {
		return nil, nil, fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", cString(rules[bad]))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	before = t.users[name]
	u := newUser(t.cat, name, t.opts.PubsubAllChannels)
	if before != nil {
		u = before.clone()
	}
	for _, op := range merged {
		if err := u.apply(t.cat, op, t.opts.PubsubAllChannels); err != nil {
			return nil, nil, fmt.Errorf("Error in ACL SETUSER modifier '%s': %w", cString(op), err)
		}
		t.warnFirstArg(op)
	}
	t.users[name] = u
	return before, u, nil
}

// ErrDeleteDefault is ACL DELUSER's refusal to remove the default user.
var ErrDeleteDefault = errors.New("The 'default' user cannot be removed")

// DelUser is ACL DELUSER: it returns the users it removed (their clients
// must be disconnected). Nothing is removed if "default" is among names.
func (t *Table) DelUser(names []string) ([]string, error) {
	if slices.Contains(names, "default") {
		return nil, ErrDeleteDefault
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for _, n := range names {
		if _, ok := t.users[n]; ok {
			delete(t.users, n)
			gone = append(gone, n)
		}
	}
	return gone, nil
}

// LoadError is a start-up failure of the configured users, with the lines
// redis logs before it exits.
type LoadError struct{ Lines []string }

func (e *LoadError) Error() string { return strings.Join(e.Lines, "; ") }

// Load applies the configured "user" directives (each: name, then rules)
// after the config was read, as ACLLoadConfiguredUsers does: "default"
// starts from a reset user, every other user is new. The first bad rule
// fails the whole start.
func (t *Table) Load(users [][]string) error {
	fail := func(line string) error {
		return &LoadError{Lines: []string{line, "Critical error while loading ACLs. Exiting."}}
	}
	for _, def := range users {
		if len(def) == 0 {
			continue
		}
		name := def[0]
		if hasSpaces(name) {
			return fail("Spaces not allowed in ACL usernames")
		}
		merged, bad := mergeSelectors(def[1:])
		if bad >= 0 {
			return fail(fmt.Sprintf("Unmatched parenthesis in acl selector starting at '%s'.", def[1+bad]))
		}
		t.mu.Lock()
		u := t.users[name]
		if u == nil {
			u = newUser(t.cat, name, t.opts.PubsubAllChannels)
		} else {
			u = u.clone()
			u.apply(t.cat, "reset", t.opts.PubsubAllChannels)
		}
		for _, op := range merged {
			if err := u.apply(t.cat, op, t.opts.PubsubAllChannels); err != nil {
				t.mu.Unlock()
				return fail(fmt.Sprintf("Error loading ACL rule '%s' for the user named '%s': %v", cString(op), cString(name), err))
			}
			t.warnFirstArg(op)
		}
		t.users[name] = u
		t.mu.Unlock()
		if !u.Enabled() && t.opts.Notice != nil {
			t.opts.Notice(fmt.Sprintf("The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", name))
		}
	}
	return nil
}

// ValidateUserLine is what redis checks of a "user" line while it reads
// the config (ACLAppendUserForLoading): the rules are tried on a fresh
// user; only rules that name unknown commands pass (they fail later, in
// Load). seen holds the names of the users declared before. The returned
// text is config.c's, including its quirk of quoting the word of the
// directive at the index of the bad rule instead of the rule itself.
func ValidateUserLine(cat *Catalog, opts Options, args []string, seen map[string]bool) string {
	// args: "user", name, rules...
	errText := func(idx int, err error) string {
		return fmt.Sprintf("Error in user declaration '%s': %v", args[idx], err)
	}
	if seen[args[1]] {
		return errText(1, errDuplicateUser)
	}
	merged, bad := mergeSelectors(args[2:])
	if bad >= 0 {
		// redis reports whatever errno was left; 7.0.15 shows this.
		return errText(bad, errUnknownCommand)
	}
	u := newUser(cat, args[1], opts.PubsubAllChannels)
	for j, op := range merged {
		if err := u.apply(cat, op, opts.PubsubAllChannels); err != nil && !IsUnknownCommand(err) {
			return errText(j, err)
		}
	}
	return ""
}

// warnFirstArg logs redis's deprecation warning for "+cmd|arg" on a
// command without subcommands (called after the rule was accepted).
func (t *Table) warnFirstArg(op string) {
	if t.opts.Warn == nil || len(op) < 2 || op[0] != '+' || op[1] == '@' {
		return
	}
	i := strings.LastIndexByte(op, '|')
	if i < 0 {
		return
	}
	if cmd := t.cat.Lookup(op[1:i]); cmd != nil && cmd.parent == nil && !cmd.HasSubcommands() {
		t.opts.Warn("Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: " + op + ")")
	}
}

// cString is s as redis's "%s" prints it: up to the first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}
