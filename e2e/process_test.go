package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"golang.org/x/sys/unix"
)

// The process as an operator sees it: what a failed start leaves behind,
// signals, log rotation, systemd's notify protocol, daemonize. Each test
// runs against redis-sentinel and ours and expects the same.

var bothImpls = []cluster.Impl{cluster.Real, cluster.Ours}

func sentinelBinary(t *testing.T, impl cluster.Impl) string {
	if impl == cluster.Real {
		return cluster.LookBinary(t, "redis-sentinel")
	}
	return cluster.OurBinary(t)
}

// stockConf is Debian's /etc/redis/sentinel.conf with its paths moved into
// dir, its port set and bound to loopback only.
func stockConf(t *testing.T, dir string, port int) string {
	t.Helper()
	stock, err := os.ReadFile("/etc/redis/sentinel.conf")
	if err != nil {
		t.Skipf("Debian's stock sentinel.conf: %v", err)
	}
	repl := map[string]string{
		"port":    "port " + strconv.Itoa(port) + "\nbind 127.0.0.1",
		"pidfile": "pidfile " + filepath.Join(dir, "redis-sentinel.pid"),
		"logfile": "logfile " + filepath.Join(dir, "redis-sentinel.log"),
		"dir":     "dir " + dir,
	}
	lines := strings.Split(string(stock), "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 2 && repl[f[0]] != "" {
			lines[i] = repl[f[0]]
			delete(repl, f[0])
		}
	}
	if len(repl) > 0 {
		t.Fatalf("stock sentinel.conf lacks %v", repl)
	}
	return strings.Join(lines, "\n")
}

// fileState is what a failed start must not change.
type fileState struct {
	data     string
	mode     os.FileMode
	uid, gid uint32
	mtime    time.Time
}

func dirState(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(p)
		sys := st.Sys().(*syscall.Stat_t)
		out[e.Name()] = fileState{string(data), st.Mode(), sys.Uid, sys.Gid, st.ModTime()}
	}
	return out
}

// TestFailedStartLeavesFiles: a start on a port in use, with Debian's stock
// config (owned by another user, 0640, an old mtime, no myid yet), exits
// 1, says why in the log (and, ours, on stderr), and changes no file: no
// new myid, same owner, mode and mtime, no pidfile.
func TestFailedStartLeavesFiles(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			dir := t.TempDir()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(stockConf(t, dir, port)), 0o640); err != nil {
				t.Fatal(err)
			}
			if os.Geteuid() == 0 {
				if err := os.Chown(path, 65534, 65534); err != nil {
					t.Fatal(err)
				}
			}
			old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := os.Chtimes(path, old, old); err != nil {
				t.Fatal(err)
			}
			before := dirState(t, dir)

			// As Debian's unit runs it, which overrides the file's
			// "daemonize yes".
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sentinelBinary(t, impl), path, "--daemonize", "no")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
			}
			logPath := filepath.Join(dir, "redis-sentinel.log")
			logText, _ := os.ReadFile(logPath)
			reason := fmt.Sprintf("Could not create server TCP listening socket 127.0.0.1:%d: bind: Address already in use", port)
			if !strings.Contains(string(logText), reason) {
				t.Errorf("log lacks %q:\n%s", reason, logText)
			}
			if impl == cluster.Ours && !strings.Contains(stderr.String(), reason) {
				t.Errorf("stderr lacks %q:\n%s", reason, stderr.String())
			}
			after := dirState(t, dir)
			delete(after, "redis-sentinel.log")
			for name, b := range before {
				a, ok := after[name]
				switch {
				case !ok:
					t.Errorf("%s removed", name)
				case a.data != b.data:
					t.Errorf("%s changed:\n%s", name, cluster.LineDiff(b.data, a.data))
				case a != b:
					t.Errorf("%s: mode %v uid %d gid %d mtime %v, was %v %d %d %v", name, a.mode, a.uid, a.gid, a.mtime, b.mode, b.uid, b.gid, b.mtime)
				}
			}
			for name := range after {
				if _, ok := before[name]; !ok {
					t.Errorf("%s created", name)
				}
			}
		})
	}
}

// TestRewriteKeepsOwnerAndMode: the rewrite after a successful start keeps
// the file's mode and owner, so a file root rewrote stays readable by the
// user it belongs to. Ours only, on purpose: redis 7.0's rewrite
// (rewriteConfigOverwriteFile) renames a temp file with mode 0644 & ~umask
// over it, owned by whoever runs redis (this test saw 0644 root:root).
func TestRewriteKeepsOwnerAndMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the file away")
	}
	for _, impl := range []cluster.Impl{cluster.Ours} {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			dir := c.NewDir("s")
			path := filepath.Join(dir, "sentinel.conf")
			conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
			if err := os.WriteFile(path, []byte(conf.Render(0, dir)), 0o640); err != nil {
				t.Fatal(err)
			}
			if err := cluster.SetConfPort(path, cluster.MustFreePort(t)); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(path, 65534, 65534); err != nil {
				t.Fatal(err)
			}
			s := c.StartSentinelOnConf(impl, "s", path)
			cluster.WaitFor(t, 10*time.Second, "myid in the file", func() error {
				cf, err := s.Conf()
				if err != nil {
					return err
				}
				if _, ok := cf.Get("sentinel", "myid"); !ok {
					return fmt.Errorf("no myid yet")
				}
				return nil
			})
			st := dirState(t, dir)["sentinel.conf"]
			if st.mode.Perm() != 0o640 || st.uid != 65534 || st.gid != 65534 {
				t.Errorf("after rewrite: mode %v uid %d gid %d, want 0640 65534 65534", st.mode, st.uid, st.gid)
			}
		})
	}
}

// startOnConf starts impl on a config with the given extra lines, in a
// fresh directory, and returns it and its directory.
func startOnConf(t *testing.T, c *cluster.Cluster, impl cluster.Impl, extra ...string) (*cluster.Sentinel, string) {
	t.Helper()
	s := c.StartSentinel(impl, "s", cluster.SentinelConfig{
		Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}},
		Extra:    extra,
	})
	return s, filepath.Dir(s.ConfPath)
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// TestSignals: SIGHUP is ignored; SIGTERM logs, removes the pidfile and
// exits 0; SIGUSR1 ends the process by the signal (its default action in
// redis 7.0).
func TestSignals(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			dir := c.NewDir("files")
			logPath, pidPath := filepath.Join(dir, "s.log"), filepath.Join(dir, "s.pid")
			s, _ := startOnConf(t, c, impl, "logfile "+logPath, "pidfile "+pidPath)
			if got := strings.TrimSpace(readFile(pidPath)); got != strconv.Itoa(s.Pid()) {
				t.Errorf("pidfile %q, want %d", got, s.Pid())
			}
			if err := s.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			if !s.Running() {
				t.Fatalf("SIGHUP ended it: %v", s.ExitState())
			}
			if _, err := s.Do("PING"); err != nil {
				t.Fatalf("PING after SIGHUP: %v", err)
			}
			if err := s.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-s.Exited():
			case <-time.After(10 * time.Second):
				t.Fatal("SIGTERM: still running")
			}
			if code := s.ExitState().ExitCode(); code != 0 {
				t.Errorf("SIGTERM: exit %v", s.ExitState())
			}
			logText := readFile(logPath)
			for _, want := range []string{"Received SIGTERM scheduling shutdown...", "User requested shutdown...",
				"Removing the pid file.", "Sentinel is now ready to exit, bye bye..."} {
				if !strings.Contains(logText, want) {
					t.Errorf("log lacks %q:\n%s", want, logText)
				}
			}
			if _, err := os.Stat(pidPath); err == nil {
				t.Error("pidfile left after SIGTERM")
			}

			if err := s.Start(); err != nil {
				t.Fatal(err)
			}
			if err := cluster.WaitReady(s.Process, s.Port, cluster.StartTimeout); err != nil {
				t.Fatal(err)
			}
			if err := s.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			select {
			case <-s.Exited():
			case <-time.After(10 * time.Second):
				t.Fatal("SIGUSR1: still running")
			}
			if ws := s.ExitState().Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGUSR1 {
				t.Errorf("SIGUSR1: %v, want killed by SIGUSR1", s.ExitState())
			}
		})
	}
}

// TestLogRotation: once logrotate has moved the log away, the next line
// goes to a new file at the configured path.
func TestLogRotation(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			s, dir := startOnConf(t, c, impl, "logfile s.log")
			logPath := filepath.Join(dir, "s.log")
			cluster.WaitFor(t, 5*time.Second, "first log lines", func() error {
				if !strings.Contains(readFile(logPath), "+monitor master m ") {
					return fmt.Errorf("log: %q", readFile(logPath))
				}
				return nil
			})
			rotateLog(t, s, logPath)
			if strings.Contains(readFile(logPath+".1"), "rotated") {
				t.Error("the line also went to the moved file")
			}
		})
	}
}

// notifySocket listens where NOTIFY_SOCKET will point (a path, or an
// abstract name when abstract) and sends each datagram it receives.
func notifySocket(t *testing.T, abstract bool) (string, <-chan string) {
	t.Helper()
	var name string
	if abstract {
		name = fmt.Sprintf("@qsentinel-test-%d-%d", os.Getpid(), time.Now().UnixNano())
	} else {
		// Not t.TempDir: a unix socket path must stay under 108 bytes.
		d, err := os.MkdirTemp("", "sdn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		name = filepath.Join(d, "notify")
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	msgs := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return name, msgs
}

// TestSupervisedSystemd: with Debian's unit's arguments, the sentinel
// tells systemd it is loading, then ready once its port is open (not
// before), then stopping on SIGTERM; over a socket path or an abstract
// name; "auto" finds systemd by NOTIFY_SOCKET.
func TestSupervisedSystemd(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		abstract bool
	}{{"systemd", false}, {"systemd", true}, {"auto", false}} {
		for _, impl := range bothImpls {
			mode, abstract := tc.mode, tc.abstract
			t.Run(fmt.Sprintf("%s/%s/abstract=%v", impl, mode, abstract), func(t *testing.T) {
				c := cluster.New(t)
				name, msgs := notifySocket(t, abstract)
				t.Setenv("NOTIFY_SOCKET", name)
				dir := c.NewDir("s")
				port := cluster.MustFreePort(t)
				conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
				path := filepath.Join(dir, "sentinel.conf")
				if err := os.WriteFile(path, []byte(conf.Render(port, dir)), 0o644); err != nil {
					t.Fatal(err)
				}
				p := cluster.NewProcess("s", sentinelBinary(t, impl), dir, path, "--supervised", mode, "--daemonize", "no")
				c.Adopt(p)
				if err := p.Start(); err != nil {
					t.Fatal(err)
				}
				var got []string
				next := func() string {
					select {
					case m := <-msgs:
						got = append(got, m)
						return m
					case <-time.After(10 * time.Second):
						t.Fatalf("no notify message; so far %q", got)
						return ""
					}
				}
				for next() != "READY=1\n" {
				}
				if nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
					t.Errorf("READY=1 before the port is open: %v", err)
				} else {
					nc.Close()
				}
				info, err := cluster.Command(fmt.Sprintf("127.0.0.1:%d", port), "INFO", "server")
				if err != nil || !strings.Contains(info.Text(), "process_supervised:systemd\r\n") {
					t.Errorf("INFO server: want process_supervised:systemd: %v %q", err, info.Text())
				}
				if err := p.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				for next() != "STOPPING=1\n" {
				}
				want := []string{"STATUS=Redis is loading...\n", "STATUS=Ready to accept connections\n", "READY=1\n", "STOPPING=1\n"}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("messages %q, want %q", got, want)
				}
				select {
				case <-p.Exited():
				case <-time.After(10 * time.Second):
					t.Fatal("still running after SIGTERM")
				}
			})
		}
	}
}

// TestDaemonize: "daemonize yes" detaches: the command returns 0 at once,
// the sentinel runs on in its own session, writes its pid to pidfile and
// removes it on SIGTERM.
func TestDaemonize(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			dir := t.TempDir()
			port := cluster.MustFreePort(t)
			pidPath := filepath.Join(dir, "s.pid")
			conf := cluster.SentinelConfig{
				Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}},
				Extra:    []string{"daemonize yes", "pidfile " + pidPath, "logfile " + filepath.Join(dir, "s.log")},
			}
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(conf.Render(port, dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := []string{path}
			agentPort := cluster.MustFreePort(t)
			if impl == cluster.Ours {
				// Our own listener must be the daemon's, not the
				// parent's that exits.
				args = append(args, "--agent-check", fmt.Sprintf("127.0.0.1:%d", agentPort))
			}
			cmd := exec.CommandContext(ctx, sentinelBinary(t, impl), args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("parent: %v\n%s", err, out)
			}
			var pid int
			cluster.WaitFor(t, 10*time.Second, "pidfile", func() error {
				pid, err = strconv.Atoi(strings.TrimSpace(readFile(pidPath)))
				return err
			})
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			if pid == cmd.Process.Pid {
				t.Errorf("pidfile has the parent's pid %d", pid)
			}
			if sid, err := unix.Getsid(pid); err != nil || sid != pid {
				t.Errorf("session of %d: %d (%v), want its own", pid, sid, err)
			}
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			cluster.WaitFor(t, 10*time.Second, "the daemon to answer", func() error {
				_, err := cluster.Command(addr, "PING")
				return err
			})
			if impl == cluster.Ours {
				nc, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", agentPort))
				if err != nil {
					t.Errorf("agent-check port of the daemon: %v\nlog:\n%s", err, readFile(filepath.Join(dir, "s.log")))
				} else {
					nc.Close()
				}
			}
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			cluster.WaitFor(t, 10*time.Second, "the pidfile to go", func() error {
				if _, err := os.Stat(pidPath); err == nil {
					return fmt.Errorf("still there")
				}
				return nil
			})
		})
	}
}

// TestRelativeScriptSurvivesRestart: with a relative dir, a script path
// given at runtime relative to it is found again after a restart, as
// redis's chdir at the dir line makes it.
func TestRelativeScriptSurvivesRestart(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			base := c.NewDir("base")
			if err := os.Mkdir(filepath.Join(base, "sentinel_0"), 0o755); err != nil {
				t.Fatal(err)
			}
			// ../../x.sh from base/sentinel_0.
			script := filepath.Join(filepath.Dir(base), "x.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
			text := strings.Replace(conf.Render(0, base), "dir "+base, "dir ./sentinel_0", 1) + "sentinel deny-scripts-reconfig no\n"
			path := filepath.Join(base, "sentinel.conf")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			s := c.StartSentinelOnConf(impl, "s", path)
			if _, err := s.Do("SENTINEL", "SET", "m", "notification-script", "../../x.sh"); err != nil {
				t.Fatal(err)
			}
			if err := s.Restart(); err != nil {
				t.Fatalf("restart: %v\n%s", err, s.Logs())
			}
			m, err := s.Master("m")
			if err != nil {
				t.Fatal(err)
			}
			if m["notification-script"] != "../../x.sh" {
				t.Errorf("notification-script %q after restart", m["notification-script"])
			}
		})
	}
}

// TestEveryRuntimeOptionSurvivesRestart: every per-master option SENTINEL
// SET accepts and every global SENTINEL CONFIG SET accepts, set to a
// non-default value at runtime, is there after a restart (kill -9: what
// SET wrote is what the restart reads).
func TestEveryRuntimeOptionSurvivesRestart(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			s, dir := startOnConf(t, c, impl, "sentinel deny-scripts-reconfig no")
			// notify.sh leaves a trace in the working directory (dir), to
			// show that a relative script path runs, not only parses.
			for name, body := range map[string]string{"notify.sh": "echo \"$@\" >> notified", "reconfig.sh": "exit 0"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			reconfig := filepath.Join(dir, "reconfig.sh")
			set := [][]string{
				{"down-after-milliseconds", "12345"},
				{"failover-timeout", "123456"},
				{"parallel-syncs", "3"},
				{"notification-script", "notify.sh"}, // relative to dir
				{"client-reconfig-script", reconfig},
				{"auth-pass", "s3cret"},
				{"auth-user", "monitor-user"},
				{"quorum", "3"},
				{"rename-command", "CONFIG", "MYCONFIG"},
				{"master-reboot-down-after-period", "5000"},
			}
			globals := [][2]string{
				{"resolve-hostnames", "yes"},
				{"announce-hostnames", "yes"},
				{"announce-ip", "127.0.0.1"},
				{"announce-port", "26999"},
				{"sentinel-user", "peer-user"},
				{"sentinel-pass", "peer-pass"},
			}
			for _, o := range set {
				if _, err := s.Do(append([]string{"SENTINEL", "SET", "m"}, o...)...); err != nil {
					t.Fatalf("SENTINEL SET m %v: %v", o, err)
				}
			}
			for _, g := range globals {
				if _, err := s.Do("SENTINEL", "CONFIG", "SET", g[0], g[1]); err != nil {
					t.Fatalf("SENTINEL CONFIG SET %v: %v", g, err)
				}
			}
			if err := s.Restart(); err != nil {
				t.Fatalf("restart: %v\n%s", err, s.Logs())
			}
			m, err := s.Master("m")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range set {
				switch o[0] {
				case "auth-pass", "auth-user", "rename-command", "master-reboot-down-after-period":
					continue // not in 7.0's SENTINEL MASTER; checked in the file below
				}
				if m[o[0]] != o[1] {
					t.Errorf("SENTINEL MASTER %s = %q after restart, want %q", o[0], m[o[0]], o[1])
				}
			}
			v, err := s.Do("SENTINEL", "CONFIG", "GET", "*")
			if err != nil {
				t.Fatal(err)
			}
			cfg := v.KV()
			for _, g := range globals {
				if cfg[g[0]] != g[1] {
					t.Errorf("SENTINEL CONFIG GET %s = %q after restart, want %q", g[0], cfg[g[0]], g[1])
				}
			}
			// A flush writes what the restarted sentinel holds: the
			// options SENTINEL MASTER does not show must be there.
			if _, err := s.Do("SENTINEL", "FLUSHCONFIG"); err != nil {
				t.Fatal(err)
			}
			text := readFile(s.ConfPath)
			for _, re := range []string{`(?m)^sentinel auth-pass m "?s3cret"?$`, `(?m)^sentinel auth-user m "?monitor-user"?$`,
				`(?m)^sentinel rename-command m "?CONFIG"? "?MYCONFIG"?$`, `(?m)^sentinel master-reboot-down-after-period m 5000$`} {
				if !regexp.MustCompile(re).MatchString(text) {
					t.Errorf("config after restart and flush lacks %s:\n%s", re, text)
				}
			}
			// A warning event (+set) runs the restarted sentinel's
			// notification script.
			if _, err := s.Do("SENTINEL", "SET", "m", "quorum", "3"); err != nil {
				t.Fatal(err)
			}
			cluster.WaitFor(t, 10*time.Second, "notify.sh to run", func() error {
				if !strings.Contains(readFile(filepath.Join(dir, "notified")), "+set") {
					return fmt.Errorf("no trace of notify.sh in %s", dir)
				}
				return nil
			})
		})
	}
}

// TestUnwritableConfigSaysWhy: a config file the sentinel cannot rewrite
// stops the start, with the reason in the log (redis-sentinel's
// sentinelCheckConfigFile line). Run as nobody, since root writes anyway.
func TestUnwritableConfigSaysWhy(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the sentinel as nobody")
	}
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			// Not t.TempDir: its parents are 0700, closed to nobody.
			dir, err := os.MkdirTemp("", "unwritable")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			bin := sentinelBinary(t, impl)
			if impl == cluster.Ours {
				data, err := os.ReadFile(bin)
				if err != nil {
					t.Fatal(err)
				}
				bin = filepath.Join(dir, "sentinel")
				if err := os.WriteFile(bin, data, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			logPath := filepath.Join(dir, "s.log")
			if err := os.WriteFile(logPath, nil, 0o666); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(logPath, 0o666); err != nil { // past the umask
				t.Fatal(err)
			}
			conf := cluster.SentinelConfig{
				Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}},
				Extra:    []string{"logfile " + logPath},
			}
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(conf.Render(cluster.MustFreePort(t), dir)), 0o444); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, path)
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, _ := cmd.CombinedOutput()
			if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
				t.Fatalf("exit %v, want 1\n%s", cmd.ProcessState, out)
			}
			want := fmt.Sprintf("Sentinel config file %s is not writable: Permission denied. Exiting...", path)
			if got := readFile(logPath); !strings.Contains(got, want) {
				t.Errorf("log lacks %q:\n%s\noutput:\n%s", want, got, out)
			}
		})
	}
}

// procState is the state letter of /proc/<pid>/stat ("T" when stopped).
func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	// "pid (comm) S ...": comm may hold spaces, the state follows its ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2 : i+3]
	}
	return ""
}

// TestSupervisedUpstart: under upstart the sentinel stops itself
// (SIGSTOP) before it listens, which is how upstart's "expect stop" learns
// it is up; upstart then continues it.
func TestSupervisedUpstart(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			t.Setenv("UPSTART_JOB", "redis-sentinel")
			dir := c.NewDir("s")
			port := cluster.MustFreePort(t)
			conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(conf.Render(port, dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			p := cluster.NewProcess("s", sentinelBinary(t, impl), dir, path, "--supervised", "upstart", "--daemonize", "no")
			c.Adopt(p)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			cluster.WaitFor(t, 10*time.Second, "the sentinel to stop itself", func() error {
				if st := procState(p.Pid()); st != "T" {
					return fmt.Errorf("state %q", st)
				}
				return nil
			})
			// No socket at all yet (a dial could reach another test's
			// process that took the port meanwhile).
			fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", p.Pid()))
			for _, fd := range fds {
				if l, _ := os.Readlink(fd); strings.HasPrefix(l, "socket:") {
					t.Errorf("a socket (%s) before upstart continued it", fd)
				}
			}
			if err := p.Signal(syscall.SIGCONT); err != nil {
				t.Fatal(err)
			}
			if err := cluster.WaitReady(p, port, cluster.StartTimeout); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLogWithoutLogfileGoesToStdout: with no logfile the log is on
// stdout, as redis's serverLogRaw writes it (ours used stderr).
func TestLogWithoutLogfileGoesToStdout(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			dir := t.TempDir()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(conf.Render(port, dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, sentinelBinary(t, impl), path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			want := fmt.Sprintf("Failed listening on port %d (TCP), aborting.", port)
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout lacks %q\nstdout: %s\nstderr: %s", want, stdout.String(), stderr.String())
			}
		})
	}
}

// TestOOMScoreAdj: oom-score-adj sets the process's OOM score from the
// first of oom-score-adj-values, absolute or added to the score it
// started with.
func TestOOMScoreAdj(t *testing.T) {
	b, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		t.Skip(err)
	}
	base, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	for _, impl := range bothImpls {
		for mode, want := range map[string]int{"absolute": 123, "relative": min(base+123, 1000)} {
			t.Run(impl.String()+"/"+mode, func(t *testing.T) {
				c := cluster.New(t)
				s, _ := startOnConf(t, c, impl, "oom-score-adj "+mode, "oom-score-adj-values 123 200 800")
				cluster.WaitFor(t, 5*time.Second, "the OOM score", func() error {
					got := strings.TrimSpace(readFile(fmt.Sprintf("/proc/%d/oom_score_adj", s.Pid())))
					if got != strconv.Itoa(want) {
						return fmt.Errorf("oom_score_adj %q, want %d", got, want)
					}
					return nil
				})
			})
		}
	}
}

// TestStdoutReaderGone: with the log on stdout, a reader that goes away
// (a pipe closed, journald restarting) must not end the sentinel: redis
// ignores SIGPIPE, Go dies of it on stdout unless told otherwise.
func TestStdoutReaderGone(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			dir := t.TempDir()
			port := cluster.MustFreePort(t)
			conf := cluster.SentinelConfig{Monitors: []cluster.Monitor{{Name: "m", Host: "127.0.0.1", Port: cluster.MustFreePort(t), Quorum: 2}}}
			path := filepath.Join(dir, "sentinel.conf")
			if err := os.WriteFile(path, []byte(conf.Render(port, dir)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(sentinelBinary(t, impl), path)
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() { cmd.Process.Kill(); <-exited })
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			cluster.WaitFor(t, 10*time.Second, "the sentinel to answer", func() error {
				_, err := cluster.Command(addr, "PING")
				return err
			})
			stdout.Close()
			// Log lines to a stdout nobody reads any more.
			for i := range 3 {
				if _, err := cluster.Command(addr, "SENTINEL", "MONITOR", fmt.Sprintf("gone%d", i), "127.0.0.1", strconv.Itoa(cluster.MustFreePort(t)), "2"); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case err := <-exited:
				t.Fatalf("ended when its stdout reader went away: %v", err)
			case <-time.After(500 * time.Millisecond):
			}
			if _, err := cluster.Command(addr, "PING"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOddRuntimeValuesSurviveRestart: values redis-sentinel 7.0 writes
// unquoted and then refuses at its next start ("auth-pass m pa ss") are
// quoted by ours, so whatever SENTINEL SET and SENTINEL CONFIG SET accept
// comes back after a restart. Ours only: redis 7.0 does not survive them.
func TestOddRuntimeValuesSurviveRestart(t *testing.T) {
	c := cluster.New(t)
	s, dir := startOnConf(t, c, cluster.Ours, "sentinel deny-scripts-reconfig no")
	script := filepath.Join(dir, "a script #1.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Control characters are refused at SET (as newer servers do), so
	// none is here.
	odd := []string{"pa ss", `q"uo'te`, `back\\slash`, "#hash", "semi;colon", "ünï"}
	for i, v := range odd {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			for _, o := range [][]string{{"auth-pass", v}, {"auth-user", v}, {"rename-command", "CONFIG", v}, {"notification-script", script}} {
				if _, err := s.Do(append([]string{"SENTINEL", "SET", "m"}, o...)...); err != nil {
					t.Fatalf("SENTINEL SET m %q: %v", o, err)
				}
			}
			for _, g := range []string{"sentinel-user", "sentinel-pass"} {
				if _, err := s.Do("SENTINEL", "CONFIG", "SET", g, v); err != nil {
					t.Fatalf("SENTINEL CONFIG SET %s %q: %v", g, v, err)
				}
			}
			if err := s.Restart(); err != nil {
				t.Fatalf("restart: %v\n%s", err, s.Logs())
			}
			m, err := s.Master("m")
			if err != nil {
				t.Fatal(err)
			}
			if m["notification-script"] != script {
				t.Errorf("notification-script %q", m["notification-script"])
			}
			cv, err := s.Do("SENTINEL", "CONFIG", "GET", "*")
			if err != nil {
				t.Fatal(err)
			}
			if got := cv.KV()["sentinel-user"]; got != v {
				t.Errorf("sentinel-user %q, want %q", got, v)
			}
		})
	}
}

// TestCrashGoesToLog: a crash of ours (here SIGQUIT's dump, what a panic
// prints goes the same way) is written to the log, as redis writes its
// crash report there, and to the current file after a rotation. Ours
// only: redis-sentinel has no such dump for SIGQUIT.
func TestCrashGoesToLog(t *testing.T) {
	c := cluster.New(t)
	s, dir := startOnConf(t, c, cluster.Ours, "logfile s.log")
	logPath := filepath.Join(dir, "s.log")
	rotateLog(t, s, logPath)
	if err := s.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("still running after SIGQUIT")
	}
	if got := readFile(logPath); !strings.Contains(got, "SIGQUIT: quit") || !strings.Contains(got, "goroutine ") {
		t.Errorf("no crash dump in the log:\n%s", got)
	}
}

// TestNoDirRestartElsewhere: without a dir line the working directory is
// where the sentinel started; its first rewrite pins it (dir "<cwd>", as
// redis's rewriteConfigDirOption), so a script path relative to it still
// resolves after a restart from another directory.
func TestNoDirRestartElsewhere(t *testing.T) {
	for _, impl := range bothImpls {
		t.Run(impl.String(), func(t *testing.T) {
			c := cluster.New(t)
			base := c.NewDir("base")
			first, second := filepath.Join(base, "first"), filepath.Join(base, "second")
			for _, d := range []string{first, second} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(first, "x.sh"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(base, "sentinel.conf")
			text := fmt.Sprintf("port %d\nbind 127.0.0.1\nsentinel monitor m 127.0.0.1 %d 2\nsentinel deny-scripts-reconfig no\n",
				cluster.MustFreePort(t), cluster.MustFreePort(t))
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			port, _ := strconv.Atoi(strings.Fields(text)[1])
			p := cluster.NewProcess("s", sentinelBinary(t, impl), first, path)
			c.Adopt(p)
			if err := p.Start(); err != nil {
				t.Fatal(err)
			}
			if err := cluster.WaitReady(p, port, cluster.StartTimeout); err != nil {
				t.Fatal(err)
			}
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			if _, err := cluster.Command(addr, "SENTINEL", "SET", "m", "notification-script", "x.sh"); err != nil {
				t.Fatal(err)
			}
			p.Dir = second
			if err := cluster.Restart(p, port); err != nil {
				t.Fatalf("restart from another directory: %v\n%s", err, p.Logs())
			}
			v, err := cluster.Command(addr, "SENTINEL", "MASTER", "m")
			if err != nil || v.KV()["notification-script"] != "x.sh" {
				t.Errorf("after restart: %v %v", v.KV()["notification-script"], err)
			}
		})
	}
}

// rotateLog moves the log file away as logrotate does, makes the sentinel
// log a line (+monitor of a new master "rotated"), and waits for that line
// in a new file at logPath.
func rotateLog(t *testing.T, s *cluster.Sentinel, logPath string) {
	t.Helper()
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Do("SENTINEL", "MONITOR", "rotated", "127.0.0.1", strconv.Itoa(cluster.MustFreePort(t)), "2"); err != nil {
		t.Fatal(err)
	}
	cluster.WaitFor(t, 5*time.Second, "a new log file", func() error {
		if !strings.Contains(readFile(logPath), "+monitor master rotated ") {
			return fmt.Errorf("new log: %q", readFile(logPath))
		}
		return nil
	})
}
