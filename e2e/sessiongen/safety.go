package sessiongen

import "strings"

// The random stream runs against two long-lived sentinels that every
// session shares, so commands that would change what they monitor, stop
// them, or stall every client are played only in forms that cannot take
// effect: a master name that does not exist, a parameter that does not
// exist, a filter that matches no client, a timeout that does not parse.
// Their argument checking and error replies are still compared; their
// effects are covered by the scenario tests, which restart sentinels.
// Restarting a pair per session instead would cost about a second per
// session, a hundred times the cost of a session.

// dangerous are the commands that sanitize rewrites; they are never
// mutated on the wire, and never follow a mutated request (a mutated
// length can shift the framing so that later bytes form other commands).
var dangerous = map[string]bool{
	"shutdown": true, "sentinel|failover": true, "sentinel|remove": true, "sentinel|reset": true,
	"sentinel|set": true, "sentinel|flushconfig": true, "sentinel|simulate-failure": true,
	"sentinel|debug": true, "sentinel|config": true, "sentinel|monitor": true,
	"sentinel|is-master-down-by-addr": true, "client|kill": true, "client|pause": true,
}

// excluded are never generated: they change the users every session
// shares (ACL SETUSER/DELUSER/LOAD/SAVE), or answer with random or
// history-dependent data no masking can compare (ACL GENPASS, ACL LOG).
var excluded = map[string]bool{
	"acl|setuser": true, "acl|deluser": true, "acl|load": true, "acl|save": true,
	"acl|genpass": true, "acl|log": true,
}

// sanitize rewrites the arguments of a dangerous command into a form that
// is refused or matches nothing.
func sanitize(name string, args []string) []string {
	set := func(i int, v string) {
		if i < len(args) {
			args[i] = v
		}
	}
	switch name {
	case "shutdown":
		// Any word that is not a SHUTDOWN flag makes it a syntax error.
		args = append([]string{"extra"}, args...)
	case "sentinel|failover", "sentinel|remove", "sentinel|set":
		set(0, "nosuch")
	case "sentinel|reset":
		set(0, "nosuch*")
	case "sentinel|flushconfig":
		args = append(args, "extra")
	case "sentinel|simulate-failure":
		for i, a := range args {
			if !strings.EqualFold(a, "help") {
				args[i] = "bogus"
			}
		}
	case "sentinel|debug":
		set(0, "nosuch")
	case "sentinel|config":
		if len(args) > 0 && strings.EqualFold(args[0], "set") {
			set(1, "nosuch")
		}
	case "sentinel|monitor":
		set(0, "mymaster") // a duplicate name, or a bad argument, is always refused
		set(1, "not..an..ip")
	case "sentinel|is-master-down-by-addr":
		set(3, "*") // a run id would be a vote request, which changes the epoch
	case "client|kill":
		if len(args) > 1 {
			// Filters are ANDed: no client has this id.
			args = append(args, "ID", "999999999")
		} else {
			set(0, "1.2.3.4:5")
		}
	case "client|pause":
		set(0, "-1")
	}
	return args
}

// Excluded reports whether the generator never draws the table entry
// name (for the coverage report).
func Excluded(name string) bool { return excluded[name] }
