// Package commandtable is redis-sentinel 7.0.15's command table as
// captured from a real redis-sentinel: its COMMAND and COMMAND DOCS
// replies, embedded byte for byte, parsed into RESP3 values, and the view
// of them that ACL rules need (acl.Catalog: every command and subcommand
// with redis's own categories).
//
// It is data, not code: clients such as redis-cli read these replies to
// learn arity and hints, and ACL rules name these categories, so both are
// redis's, never ours. The RESP server answers COMMAND from it and checks
// ACL rules against its catalog; the config reader checks "user" lines
// against the same catalog. It imports nothing of ours but acl.
package commandtable
