package scripts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChecksPassFailTimeout(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := NewChecks(4, func() time.Duration { return 300 * time.Millisecond }, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go c.Run(ctx)
	for _, tc := range []struct {
		argv   []string
		ok     bool
		reason string
	}{
		{[]string{script("ok.sh", `[ "$1" = mymaster ] || exit 9`), "mymaster"}, true, ""},
		{[]string{script("no.sh", "exit 3")}, false, "exit status 3"},
		{[]string{script("slow.sh", "sleep 5")}, false, "timed out"},
		{[]string{filepath.Join(dir, "missing.sh")}, false, "no such file"},
	} {
		got := make(chan [2]any, 1)
		c.Start(tc.argv, func(ok bool, why string) { got <- [2]any{ok, why} })
		select {
		case r := <-got:
			if r[0] != tc.ok || tc.reason != "" && !strings.Contains(r[1].(string), tc.reason) {
				t.Errorf("%v: ok %v why %q, want %v %q", tc.argv, r[0], r[1], tc.ok, tc.reason)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%v: no answer", tc.argv)
		}
	}
}
