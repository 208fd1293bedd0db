package sentinelconf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestDirResolvesScripts: redis chdir()s at a dir line, so a relative
// script path in a sentinel line is looked for in dir, whatever the
// directory the sentinel was started from; consecutive relative dir lines
// chain like chdir()s.
func TestDirResolvesScripts(t *testing.T) {
	base := t.TempDir()
	sub := filepath.Join(base, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "x.sh"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	monitor := "sentinel monitor m 127.0.0.1 6379 2\nsentinel notification-script m ../x.sh\n"
	f, err := Parse("t.conf", []byte("dir "+base+"\ndir sub\n"+monitor))
	if err != nil {
		t.Fatal(err)
	}
	if f.Server.Dir != sub || f.Sentinel.Masters[0].NotificationScript != "../x.sh" {
		t.Errorf("dir %q script %q", f.Server.Dir, f.Sentinel.Masters[0].NotificationScript)
	}
	// Without the dir lines, ../x.sh is relative to where we run.
	_, err = Parse("t.conf", []byte(monitor))
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "Notification script seems non existing") {
		t.Errorf("without dir: %v", err)
	}
}

// TestDirErrors: a dir line that cannot be chdir()ed to stops the start
// with strerror's text, as in redis ("No such file or directory").
func TestDirErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{
		"/nonexistent/qsentinel": "No such file or directory",
		file:                     "Not a directory",
	} {
		_, err := Parse("t.conf", []byte("port 1\ndir "+dir+"\n"))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Reason != want || ce.Line != 2 {
			t.Errorf("dir %s: %v, want line 2 %q", dir, err, want)
		}
	}
}

// TestSupervisedAndDaemonize: both directives are read (not accepted and
// ignored), with redis's enum error text.
func TestSupervisedAndDaemonize(t *testing.T) {
	f, err := Parse("t.conf", []byte("daemonize yes\nsupervised SYSTEMD\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !f.Server.Daemonize || f.Server.Supervised != "systemd" {
		t.Errorf("daemonize %v supervised %q", f.Server.Daemonize, f.Server.Supervised)
	}
	_, err = Parse("t.conf", []byte("supervised maybe\n"))
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Reason != "argument(s) must be one of the following: upstart, systemd, auto, no" {
		t.Errorf("supervised maybe: %v", err)
	}
}

// TestRewriteDirAndOwner: the rewrite writes dir as the absolute working
// directory, quoted (rewriteConfigDirOption), in place of a relative one
// or after port when there was none; and the file keeps its owner and
// mode across the rename.
func TestRewriteDirAndOwner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.conf")
	for _, text := range []string{"dir ./rel\nsentinel monitor m 127.0.0.1 6379 2\n", "sentinel monitor m 127.0.0.1 6379 2\n"} {
		if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
		uid, gid := os.Getuid(), os.Getgid()
		if os.Geteuid() == 0 {
			uid, gid = 65534, 65534
			if err := os.Chown(path, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		f, err := Parse(path, []byte(strings.Replace(text, "dir ./rel\n", "", 1)))
		if err != nil {
			t.Fatal(err)
		}
		store := &ConfStore{Path: path, File: f, Dir: "/abs/dir"}
		if err := store.Save(&f.Sentinel); err != nil {
			t.Fatal(err)
		}
		out, _ := os.ReadFile(path)
		if n := strings.Count(string(out), "\ndir "); n+strings.Count(string(out)[:4], "dir ") != 1 || !strings.Contains(string(out), `dir "/abs/dir"`) {
			t.Errorf("from %q:\n%s", text, out)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sys := st.Sys().(*syscall.Stat_t)
		if st.Mode().Perm() != 0o640 || int(sys.Uid) != uid || int(sys.Gid) != gid {
			t.Errorf("mode %v owner %d:%d, want 0640 %d:%d", st.Mode(), sys.Uid, sys.Gid, uid, gid)
		}
	}
}

// TestUnixsocket: unixsocket and unixsocketperm are read, with redis's
// errors for a bad permission.
func TestUnixsocket(t *testing.T) {
	f, err := Parse("t.conf", []byte("port 1\nunixsocket /tmp/s.sock\nunixsocketperm 0750\n"))
	if err != nil || f.Server.UnixSocket != "/tmp/s.sock" || f.Server.UnixSocketPerm != 0o750 {
		t.Fatalf("%v %+v", err, f)
	}
	for line, reason := range map[string]string{
		"unixsocketperm 999":  "argument couldn't be parsed as an octal number",
		"unixsocketperm 1777": "argument must be between 0 and 777 inclusive",
	} {
		_, err := Parse("t.conf", []byte(line+"\n"))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Reason != reason {
			t.Errorf("%s: %v", line, err)
		}
	}
}
