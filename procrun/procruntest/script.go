package procruntest

import (
	"os"
	"path/filepath"
	"testing"
)

// Script writes an executable /bin/sh script with body to a temporary
// directory of the test and returns its path.
func Script(t testing.TB, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "s.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
