package acl

import "errors"

// Rule errors carry ACLSetUserStringError's texts: they end up in ACL
// SETUSER replies and in start-up errors.
var (
	errUnknownCommand  = errors.New("Unknown command or category name in ACL")
	errSyntax          = errors.New("Syntax error")
	errKeyAfterAll     = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errChannelAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errNoSuchPassword  = errors.New("The password you are trying to remove from the user does not exist")
	errBadHash         = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errDuplicateUser   = errors.New("Duplicate user found. A user can only be defined once in config files")
	errFirstArgOfSub   = errors.New("Allowing first-arg of a subcommand is not supported")
)

// IsUnknownCommand reports whether err is the error of a rule that names
// a command or category the catalog does not have. redis only finds these
// when it loads the users, after the whole config was read.
func IsUnknownCommand(err error) bool { return errors.Is(err, errUnknownCommand) }
