package main

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinelconf"
)

// Each client directive reaches the server's limits.
func TestClientLimitsWiring(t *testing.T) {
	f, err := sentinelconf.Parse("x.conf", []byte(`maxclients 3
timeout 9
tcp-keepalive 0
tcp-backlog 77
proto-max-bulk-len 2mb
client-query-buffer-limit 3mb
client-output-buffer-limit pubsub 1kb 512 4
`))
	if err != nil {
		t.Fatal(err)
	}
	l := clientLimits(f.Server.Clients)
	if l.MaxClients != 3 || l.IdleTimeout != 9*time.Second || l.TCPKeepalive != 0 || l.TCPBacklog != 77 ||
		l.MaxBulk != 2<<20 || l.MaxQueryBuffer != 3<<20 || l.PubSub.Hard != 1024 || l.PubSub.Soft != 512 || l.PubSub.SoftSeconds != 4 {
		t.Errorf("limits %+v", l)
	}
}

func TestACLFrozenWithYAMLOnly(t *testing.T) {
	if aclFrozen(&sentinelconf.StateStore{}) == "" {
		t.Error("YAML (state file) store: ACL SETUSER must be refused")
	}
	if aclFrozen(&sentinelconf.ConfStore{}) != "" {
		t.Error(".conf store: ACL SETUSER must work")
	}
}
