package main

import (
	"github.com/qsentinel/qsentinel/respserver"
	"github.com/qsentinel/qsentinel/sentinel"
	"github.com/qsentinel/qsentinel/sentinelconf"
)

// clientLimits turns the config's client directives (maxclients, timeout,
// tcp-keepalive, tcp-backlog, proto-max-bulk-len,
// client-query-buffer-limit, client-output-buffer-limit pubsub and normal) into the
// server's limits; the others keep respserver's defaults.
func clientLimits(c sentinelconf.Clients) respserver.Limits {
	l := respserver.DefaultLimits()
	l.MaxClients = c.MaxClients
	l.IdleTimeout = c.Timeout
	l.TCPKeepalive = c.TCPKeepalive
	l.TCPBacklog = c.TCPBacklog
	if c.MaxBulk > 0 {
		l.MaxBulk = int(c.MaxBulk)
	}
	if c.QueryBufferLimit > 0 {
		l.MaxQueryBuffer = int(c.QueryBufferLimit)
	}
	l.PubSub = respserver.OutputLimit{Hard: c.PubSub.Hard, Soft: c.PubSub.Soft, SoftSeconds: c.PubSub.SoftSeconds}
	l.Normal = respserver.OutputLimit{Hard: c.Normal.Hard, Soft: c.Normal.Soft, SoftSeconds: c.Normal.SoftSeconds}
	return l
}

// yamlACLFrozen is the error ACL SETUSER and DELUSER get with a YAML
// config: its JSON state file keeps the monitor's state only, so users
// changed at run time would be lost on restart.
const yamlACLFrozen = "users cannot be changed at run time with a YAML config (they would be lost on restart): use a .conf config with user lines or an aclfile"

// stateConfACLFrozen is the error ACL SETUSER and DELUSER get with a
// state-config-file and no aclfile: the state file holds sentinel lines
// only and the config file is never rewritten.
const stateConfACLFrozen = "users cannot be changed at run time with a state-config-file (the config file is never rewritten): use an aclfile"

// aclFrozen is why users may not change at run time with this store, or "".
func aclFrozen(store sentinel.Store) string {
	switch s := store.(type) {
	case *sentinelconf.StateStore:
		return yamlACLFrozen
	case *sentinelconf.ConfStore:
		if s.StatePath != "" && (s.File == nil || s.File.Server.ACLFile == "") {
			return stateConfACLFrozen
		}
	}
	return ""
}
