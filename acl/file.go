package acl

import (
	"fmt"
	"strings"
)

// FileError is what ACLLoadFromFile reports: every problem found, in one
// line, as ACL LOAD answers it and the start-up log shows it.
type FileError struct{ Text string }

func (e *FileError) Error() string { return e.Text }

// LoadFile replaces every user with those of an ACL file's content, as
// ACL LOAD and an "aclfile" start do (ACLLoadFromFile). filename is only
// used in messages. On any error nothing changes. On success it returns
// the names of the users that existed before, other than "default": redis
// frees them, disconnecting their clients, even when the file declares
// them again. A file without a default user gets redis's initial one (on,
// nopass, everything), whatever requirepass said.
func (t *Table) LoadFile(filename string, data []byte) (dropped []string, err error) {
	var errs strings.Builder
	users := map[string]*User{}
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		// Split on single spaces, not like a config line: quotes mean
		// nothing here and two spaces make an empty (no-op) rule.
		argv := strings.Split(line, " ")
		if argv[0] != "user" || len(argv) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", filename, n)
			continue
		}
		name := argv[1]
		if hasSpaces(name) {
			fmt.Fprintf(&errs, "'%s:%d: username '%s' contains invalid characters. ", filename, n, cString(name))
			continue
		}
		if users[name] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", cString(name), n)
			continue
		}
		u := newUser(t.cat, name, t.opts.PubsubAllChannels)
		users[name] = u
		merged, bad := mergeSelectors(argv[2:])
		if bad >= 0 {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", filename, n)
			continue
		}
		syntaxErr := false
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			err := u.apply(t.cat, op, t.opts.PubsubAllChannels)
			switch {
			case err == nil:
				t.warnFirstArg(op)
			case IsUnknownCommand(err):
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %v. ", filename, n, cString(op), err)
			case !syntaxErr:
				fmt.Fprintf(&errs, "%s:%d: %v. ", filename, n, err)
				syntaxErr = true
			}
		}
	}
	if errs.Len() > 0 {
		errs.WriteString("WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
		return nil, &FileError{Text: errs.String()}
	}
	if users["default"] == nil {
		users["default"] = newDefaultUser(t.cat, t.opts.PubsubAllChannels)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for name := range t.users {
		if name != "default" {
			dropped = append(dropped, name)
		}
	}
	t.users = users
	return dropped, nil
}

// Save is the content ACL SAVE writes: the ACL LIST lines, one per line.
func (t *Table) Save() []byte {
	var b strings.Builder
	for _, l := range t.List() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
