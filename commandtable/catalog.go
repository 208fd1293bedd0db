package commandtable

import (
	"fmt"

	"github.com/qsentinel/qsentinel/acl"
)

// ACLCatalog is redis-sentinel 7.0.15's command table as ACL rules see
// it: every command and subcommand with its categories, read from the
// captured COMMAND reply (so the categories are redis's own, not ours).
// Each call parses the reply afresh; callers keep the catalog they need.
func ACLCatalog() (*acl.Catalog, error) {
	all, err := commands()
	if err != nil {
		return nil, err
	}
	specs := make([]acl.CommandSpec, 0, len(all.Elems))
	for _, e := range all.Elems {
		spec, err := commandSpec(e)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	cat, err := acl.NewCatalog(specs)
	if err != nil {
		return nil, fmt.Errorf("command table: %w", err)
	}
	return cat, nil
}

// commandSpec reads one COMMAND INFO entry: name, arity, flags, first,
// last and step key, ACL categories, tips, key specs, subcommands.
func commandSpec(e Value) (acl.CommandSpec, error) {
	if len(e.Elems) <= fieldSubcommands {
		return acl.CommandSpec{}, fmt.Errorf("command table: entry with %d fields", len(e.Elems))
	}
	spec := acl.CommandSpec{Name: e.Name()}
	for _, f := range e.Elems[fieldFlags].Elems {
		if f.Str == "no_auth" {
			spec.NoAuth = true
		}
	}
	for _, c := range e.Categories() {
		spec.Categories = append(spec.Categories, c.Str)
	}
	for _, sub := range e.Subcommands() {
		s, err := commandSpec(sub)
		if err != nil {
			return acl.CommandSpec{}, err
		}
		spec.Subcommands = append(spec.Subcommands, s)
	}
	return spec, nil
}
