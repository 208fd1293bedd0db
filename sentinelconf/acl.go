package sentinelconf

import (
	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/commandtable"
)

// checkUser is what redis checks of a "user" line while it reads the file
// (ACLAppendUserForLoading): a duplicate user or a rule with bad syntax
// stops the start here, with config.c's text. Rules naming commands the
// sentinel does not have pass here and fail when the users are loaded,
// after the whole config, as in redis.
func (p *parser) checkUser(args []string) string {
	if p.aclCat == nil {
		cat, err := commandtable.ACLCatalog()
		if err != nil {
			return err.Error()
		}
		p.aclCat = cat
	}
	opts := acl.Options{PubsubAllChannels: p.f.Server.ACLPubsubAll}
	if reason := acl.ValidateUserLine(p.aclCat, opts, args, p.users); reason != "" {
		return reason
	}
	p.users[args[1]] = true
	return ""
}

// aclDirective handles the ACL settings of redis.conf that a sentinel
// uses. An aclfile is read when the users load, after the whole config,
// as redis does.
func (p *parser) aclDirective(name, value string) string {
	s := &p.f.Server
	switch name {
	case "aclfile":
		s.ACLFile = value
	case "acl-pubsub-default":
		switch lowerASCII(value) {
		case "allchannels":
			s.ACLPubsubAll = true
		case "resetchannels":
			s.ACLPubsubAll = false
		default:
			return "argument(s) must be one of the following: allchannels, resetchannels"
		}
	case "acllog-max-len":
		n, err := strictInt(value)
		if err != nil {
			return "argument couldn't be parsed into an integer"
		}
		if n < 0 {
			return "argument must be between 0 and 9223372036854775807 inclusive"
		}
		s.ACLLogMaxLen = n
	}
	return ""
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
