package respserver

import (
	"fmt"
	"os"
	"strings"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/commandtable"
	"github.com/qsentinel/qsentinel/sdsargs"
	"github.com/qsentinel/qsentinel/strerror"
)

// NewACL builds the user table a sentinel starts with: redis's default
// user, requirepass, then the "user" directives (each one line of
// arguments after "user", quoted as in the config file), or the aclfile
// (ACLLoadUsersAtStartup). An error is a start-up failure; acl.LoadError
// carries the lines redis logs.
func NewACL(requirepass string, users []string, aclfile string, opts acl.Options) (*acl.Table, error) {
	if aclfile != "" && len(users) > 0 {
		return nil, &acl.LoadError{Lines: []string{"Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."}}
	}
	cat, err := commandtable.ACLCatalog()
	if err != nil {
		return nil, err
	}
	t := acl.NewTable(cat, opts)
	if requirepass != "" {
		t.SetDefaultPassword(requirepass)
	}
	defs := make([][]string, 0, len(users))
	for _, l := range users {
		args, err := sdsargs.Split(l)
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", l, err)
		}
		if len(args) > 0 && strings.EqualFold(args[0], "user") {
			args = args[1:]
		}
		defs = append(defs, args)
	}
	if err := t.Load(defs); err != nil {
		return nil, err
	}
	if aclfile != "" {
		if err := loadACLFile(t, aclfile); err != nil {
			return nil, &acl.LoadError{Lines: []string{"Aborting Redis startup because of ACL errors: " + err.Error()}}
		}
	}
	return t, nil
}

// loadACLFile reads and applies an aclfile at start-up.
func loadACLFile(t *acl.Table, path string) error {
	_, err := reloadACLFile(t, path)
	return err
}

// reloadACLFile reads and applies an aclfile (ACL LOAD); it returns the
// users that were dropped, whose clients must go.
func reloadACLFile(t *acl.Table, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", path, strerror.Text(err))
	}
	return t.LoadFile(path, data)
}

// attachACL links every command and subcommand we serve to its catalog
// entry; one we serve that redis-sentinel's table lacks is a build bug
// (nothing could allow or deny it).
func attachACL(table map[string]*command, cat *acl.Catalog) error {
	for name, cmd := range table {
		cmd.acl = cat.Command(name)
		if cmd.acl == nil {
			return fmt.Errorf("acl: command %q is not in redis-sentinel's table", name)
		}
		if cmd.subs != nil {
			cmd.subACL = make(map[string]*acl.Command, len(cmd.subs))
		}
		for sub := range cmd.subs {
			sa := cmd.acl.Sub(sub)
			if sa == nil && name == "sentinel" && valkeyAliases[sub] != "" {
				// An alias is the same subcommand: the rules that allow
				// or deny the 7.0 name apply to it.
				sa = cmd.acl.Sub(valkeyAliases[sub])
			}
			if sa == nil {
				return fmt.Errorf("acl: subcommand %s|%s is not in redis-sentinel's table", name, sub)
			}
			cmd.subACL[sub] = sa
		}
	}
	return nil
}

// valkeyAliases are Valkey 8's names of SENTINEL subcommands that
// redis-sentinel 7.0's table knows by their old names.
var valkeyAliases = map[string]string{
	"primaries":                "masters",
	"primary":                  "master",
	"get-primary-addr-by-name": "get-master-addr-by-name",
	"is-primary-down-by-addr":  "is-master-down-by-addr",
}
