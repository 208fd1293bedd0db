package sentinelconf

import (
	"os"
	"testing"
)

// Debian's shipped /etc/redis/sentinel.conf (and its commented-out
// directives) parses: nothing in a stock config is refused.
func TestDebianSentinelConf(t *testing.T) {
	data, err := os.ReadFile("/etc/redis/sentinel.conf")
	if err != nil {
		t.Skip("no /etc/redis/sentinel.conf")
	}
	if _, err := Parse("sentinel.conf", data); err != nil {
		t.Fatal(err)
	}
}
