// Package acl is redis 7.0's access control list as a sentinel serves it:
// users and their rules (ACL SETUSER syntax), the permission check run
// before every command, the texts of its errors and denials, the ACL LOG,
// and the descriptions ACL LIST, ACL GETUSER and the config rewrite show.
//
// It is pure: it knows commands only through the Catalog it is given (the
// sentinel's own COMMAND table, with redis-sentinel's categories), never
// touches the network or the disk, and takes the time from its caller.
//
// Everything follows redis 7.0.15's src/acl.c, including behaviour that
// looks odd (enabling a container command enables all its subcommands;
// the bitmap-based rule description of ACL LIST), because clients and
// operators compare what they see with redis-sentinel.
package acl
