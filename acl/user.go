package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/qsentinel/qsentinel/sdsargs"
)

// User flags, in the order descriptions list them (acl.c ACLUserFlags).
const (
	flagOn = 1 << iota
	flagOff
	flagNopass
	flagSkipSanitize
	flagSanitize
)

var flagNames = []struct {
	flag int
	name string
}{
	{flagOn, "on"}, {flagOff, "off"}, {flagNopass, "nopass"},
	{flagSkipSanitize, "skip-sanitize-payload"}, {flagSanitize, "sanitize-payload"},
}

// User is one ACL user. A *User in a Table is never modified: changes
// build a new one (ACL SETUSER applies all its rules or none).
type User struct {
	name      string
	flags     int
	passwords []string // sha256 hex, in the order they were added
	selectors []*selector
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports whether the user may log in ("on").
func (u *User) Enabled() bool { return u.flags&flagOff == 0 }

// Nopass reports whether any password logs the user in.
func (u *User) Nopass() bool { return u.flags&flagNopass != 0 }

func newUser(cat *Catalog, name string, pubsubAll bool) *User {
	return &User{name: name, flags: flagOff, selectors: []*selector{newSelector(cat, true, pubsubAll)}}
}

func (u *User) clone() *User {
	d := &User{name: u.name, flags: u.flags, passwords: slices.Clone(u.passwords)}
	for _, s := range u.selectors {
		d.selectors = append(d.selectors, s.clone())
	}
	return d
}

// HashPassword is redis's password hash: sha256, lower-case hex.
func HashPassword(p string) string {
	h := sha256.Sum256([]byte(p))
	return hex.EncodeToString(h[:])
}

// validHash is ACLCheckPasswordHash.
func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// CheckPassword reports whether pass logs the user in (the user being
// enabled is checked by the caller), in time independent of the hashes.
func (u *User) CheckPassword(pass string) bool {
	if u.flags&flagNopass != 0 {
		return true
	}
	h := []byte(HashPassword(pass))
	ok := 0
	for _, known := range u.passwords {
		ok |= subtle.ConstantTimeCompare([]byte(known), h)
	}
	return ok == 1
}

// apply is ACLSetUser: one rule. pubsubAll is acl-pubsub-default.
func (u *User) apply(cat *Catalog, op string, pubsubAll bool) error {
	if op == "" {
		return nil
	}
	lo := strings.ToLower(op)
	switch {
	case lo == "on":
		u.flags = u.flags&^flagOff | flagOn
	case lo == "off":
		u.flags = u.flags&^flagOn | flagOff
	case lo == "skip-sanitize-payload":
		u.flags = u.flags&^flagSanitize | flagSkipSanitize
	case lo == "sanitize-payload":
		u.flags = u.flags&^flagSkipSanitize | flagSanitize
	case lo == "nopass":
		u.flags |= flagNopass
		u.passwords = nil
	case lo == "resetpass":
		u.flags &^= flagNopass
		u.passwords = nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return errBadHash
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.flags &^= flagNopass
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return errBadHash
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errNoSuchPassword
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case op[0] == '(' && op[len(op)-1] == ')':
		s := newSelector(cat, false, pubsubAll)
		// Like sdssplitargs in redis, unbalanced quotes give no rules
		// at all: an empty selector.
		args, err := sdsargs.Split(op[1 : len(op)-1])
		if err != nil {
			args = nil
		}
		for _, a := range args {
			if err := s.apply(cat, a); err != nil {
				return err
			}
		}
		u.selectors = append(u.selectors, s)
	case lo == "clearselectors":
		u.selectors = u.selectors[:1]
	case lo == "reset":
		u.flags &^= flagNopass
		u.passwords = nil
		root := u.selectors[0]
		root.allKeys, root.keys = false, nil
		root.allChannels, root.channels = pubsubAll, nil
		u.flags = u.flags&^(flagOn|flagSkipSanitize) | flagOff | flagSanitize
		u.selectors = u.selectors[:1]
		root.setAll(false)
	default:
		return u.selectors[0].apply(cat, op)
	}
	return nil
}

// mergeSelectors is ACLMergeSelectorArguments: "(+ping" "~x)" becomes
// "(+ping ~x)"; a new "(" while merging starts over, as in redis. bad is the index (in args) of an unclosed "(", or -1.
func mergeSelectors(args []string) (merged []string, bad int) {
	open := -1
	var cur string
	for j, op := range args {
		if len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' {
			cur, open = op, j
			continue
		}
		if open >= 0 {
			cur += " " + op
			if len(op) > 0 && op[len(op)-1] == ')' {
				merged = append(merged, cur)
				open = -1
			}
			continue
		}
		merged = append(merged, op)
	}
	if open >= 0 {
		return nil, open
	}
	return merged, -1
}
