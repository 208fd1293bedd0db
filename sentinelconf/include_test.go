package sentinelconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInclude: an include line is read in its place, as redis's
// loadServerConfig does (it was accepted and ignored): a relative name
// after dir, a wildcard that matches nothing, errors at the included
// file's own line, a missing file.
func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("monitors.conf", "sentinel monitor m 127.0.0.1 6379 2\nport 26390\n")
	write("bad.conf", "port 1\nno-such-directive 1\n")
	f, err := Parse("main.conf", []byte("dir "+dir+"\ninclude monitors.conf\ninclude conf.d/*.conf\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Port != 26390 || len(f.Sentinel.Masters) != 1 || f.Sentinel.Masters[0].Name != "m" {
		t.Errorf("port %d masters %+v", f.Server.Port, f.Sentinel.Masters)
	}
	if len(f.Lines) != 4 {
		t.Errorf("Lines are the main file's own (for the rewrite): %q", f.Lines)
	}

	_, err = Parse("main.conf", []byte("dir "+dir+"\ninclude bad.conf\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != filepath.Join(dir, "bad.conf") || ce.Line != 2 || ce.Reason != "Bad directive or wrong number of arguments" {
		t.Errorf("error in an included file: %#v", err)
	}

	_, err = Parse("main.conf", []byte("include "+filepath.Join(dir, "missing.conf")+"\n"))
	if !errors.As(err, &ce) || ce.Line != 1 || !strings.Contains(ce.Reason, "can't open config file") || !strings.Contains(ce.Reason, "No such file or directory") {
		t.Errorf("missing include: %#v", err)
	}

	write("loop.conf", "include loop.conf\n")
	_, err = Parse("main.conf", []byte("dir "+dir+"\ninclude loop.conf\n"))
	if !errors.As(err, &ce) || ce.Reason != "Too many nested includes" {
		t.Errorf("include loop: %#v", err)
	}
}
