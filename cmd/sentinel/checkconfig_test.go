package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// check-config reads and checks, and changes nothing: the directory holds
// exactly what it held, byte for byte.
func TestCheckConfigChangesNothing(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	bad := filepath.Join(dir, "bad.conf")
	badACL := filepath.Join(dir, "badacl.conf")
	files := map[string]string{
		good:   "port 26390\nlogfile " + filepath.Join(dir, "never.log") + "\nsentinel monitor a 127.0.0.1 6379 2\nsentinel monitor b 127.0.0.1 6380 2\n",
		bad:    "port 26390\nsentinel monitor a 127.0.0.1 6379 2\nsentinel bogus a 1\n",
		badACL: "port 26390\nuser bob on +nosuchcommand\n",
	}
	for p, text := range files {
		if err := os.WriteFile(p, []byte(text), 0o444); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := checkConfig(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, errs := run(good); code != 0 || !strings.Contains(out, "2 masters (a, b)") {
		t.Errorf("good: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(good, "--port", "26391"); code != 0 {
		t.Errorf("good with an option: %d %q", code, errs)
	}
	if code, _, errs := run(bad); code != 1 || !strings.Contains(errs, "FATAL CONFIG FILE ERROR") || !strings.Contains(errs, "sentinel bogus a 1") {
		t.Errorf("bad: %d %q", code, errs)
	}
	if code, _, errs := run(badACL); code != 1 || !strings.Contains(errs, "nosuchcommand") {
		t.Errorf("bad ACL: %d %q", code, errs)
	}
	if code, _, _ := run(); code != 2 {
		t.Errorf("no file: %d", code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(files) {
		t.Errorf("check-config created files: %v", entries)
	}
	for p, text := range files {
		if b, _ := os.ReadFile(p); string(b) != text {
			t.Errorf("%s changed", p)
		}
	}
}
