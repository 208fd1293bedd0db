package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Debian's files the walkthrough runs on.
const (
	debianConf = "/etc/redis/sentinel.conf"
	debianUnit = "/lib/systemd/system/redis-sentinel.service"
)

// TestMigrateDebianHost follows the README's "Migrating a Debian host from
// redis-sentinel" on this machine, in its order and as literally as a
// machine without systemd allows: Debian's redis-sentinel on Debian's own
// /etc/redis/sentinel.conf, replaced in place by the package's binary run
// from our unit (systemd/qsentinel.service), through status, a failover,
// the logs, metrics and HAProxy, and back to redis-sentinel. systemctl is
// replaced by what it does for these units (startService): the unit's
// User/Group, UMask, RuntimeDirectory, LimitNOFILE, a clean environment
// and a notify socket waited on for READY=1; SIGTERM to stop.
//
// Only two things differ from a real host, both to leave this one as it
// was: the file's port and its "sentinel monitor" line are rewritten to a
// free port and a redis-server pair the test starts, and every file the
// sentinels write (the config, its log, /run/sentinel, /var/lib/redis) is
// put back, byte for byte, at the end. Like TestDebianPackage it installs
// and purges the package, so it runs only with QSENTINEL_DPKG_TEST=1 as
// root (CI's fresh machine, .ci/run).
func TestMigrateDebianHost(t *testing.T) {
	if os.Getenv("QSENTINEL_DPKG_TEST") == "" || os.Geteuid() != 0 {
		t.Skip("installs a package and runs on /etc/redis/sentinel.conf: set QSENTINEL_DPKG_TEST=1 and run as root (CI does)")
	}
	if dpkgStatus("redis-sentinel") != "install ok installed" {
		t.Skip("Debian's redis-sentinel package is not installed")
	}
	for _, tool := range []string{"dpkg-deb", "make", "setpriv", "prlimit", "redis-cli", "haproxy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	// Refuse rather than skip: an operator's installed package or running
	// redis-sentinel must not be purged or have its file edited under it.
	if st := dpkgStatus("qsentinel"); strings.HasSuffix(st, " installed") {
		t.Fatalf("qsentinel is installed here (%s): the test installs and purges it", st)
	}
	if pid, err := os.ReadFile("/run/sentinel/redis-sentinel.pid"); err == nil {
		if n, _ := strconv.Atoi(strings.TrimSpace(string(pid))); n > 0 && syscall.Kill(n, 0) == nil {
			t.Fatalf("a redis-sentinel (pid %d) runs on %s", n, debianConf)
		}
	}
	restoreHost(t)

	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	confMode0 := fileMode(t, debianConf)
	etcRedis0, _ := filepath.Glob("/etc/redis/*")
	port := cluster.MustFreePort(t)
	name, quorum := pointConf(t, debianConf, port, master.Port)

	// 1. Debian's redis-sentinel as its unit runs it, and two more real
	// ones watching the same master: a group of three.
	debUnit := readUnit(t, debianUnit)
	deb := startService(t, c, "redis-sentinel", debUnit, debUnit.execStart(t))
	if pid, err := os.ReadFile("/run/sentinel/redis-sentinel.pid"); err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(deb.p.Pid()) {
		t.Fatalf("redis-sentinel's pidfile %q %v, want %d", pid, err, deb.p.Pid())
	}
	peers := []*cluster.Sentinel{deb.sentinel(port)}
	for i := 0; i < 2; i++ {
		peers = append(peers, c.StartSentinel(cluster.Real, fmt.Sprintf("peer%d", i+1), cluster.SentinelConfig{
			Monitors: []cluster.Monitor{{Name: name, Redis: master, Quorum: quorum}},
		}))
	}
	for _, s := range peers {
		s.WaitSentinels(t, name, 2, 30*time.Second)
	}
	peers[0].WaitReplica(t, name, replica.Addr(), 30*time.Second)
	// What ours is to keep: the id, the replica and both sentinels, as
	// redis-sentinel wrote them into the file.
	var myid string
	cluster.WaitFor(t, 20*time.Second, "redis-sentinel to write its id, replica and sentinels into "+debianConf, func() error {
		cf, err := cluster.ReadConf(debianConf)
		if err != nil {
			return err
		}
		myid, _ = cf.Get("sentinel", "myid")
		if len(myid) != 40 || len(cf.Find("sentinel", "known-replica", name)) != 1 || len(cf.Find("sentinel", "known-sentinel", name)) != 2 {
			return fmt.Errorf("myid %q, %d known-replica, %d known-sentinel", myid,
				len(cf.Find("sentinel", "known-replica", name)), len(cf.Find("sentinel", "known-sentinel", name)))
		}
		return nil
	})

	// 2. Install: make deb && dpkg -i (restoreHost purges it if the test
	// stops before it does); check-config reads the file the service will
	// run on, as its user, and changes nothing.
	dpkg(t, "-i", makeDeb(t))
	// The unit the README copies to /etc/systemd/system: the package's
	// copy of systemd/qsentinel.service (not copied there: this host has
	// no systemd to read it, and /etc stays as it was).
	const shipped = "/usr/share/qsentinel/qsentinel.service"
	got, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := os.ReadFile(filepath.Join(repoRoot(t), "systemd", "qsentinel.service")); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not systemd/qsentinel.service (%v)", shipped, err)
	}
	ourUnit := readUnit(t, shipped)
	// --metrics and --agent-check as the unit has them, unless another
	// test or program holds their ports here: then a free port each.
	ourArgv := ourUnit.execStart(t)
	for i := 1; i+1 < len(ourArgv); i++ {
		if ourArgv[i] == "--metrics" || ourArgv[i] == "--agent-check" {
			ourArgv[i+1] = freeAddr(t, ourArgv[i+1])
		}
	}
	if len(ourArgv) < 2 || ourArgv[0] != "/usr/bin/qsentinel" || ourArgv[1] != debianConf {
		t.Fatalf("the unit's ExecStart %q is not the package's binary on %s", ourArgv, debianConf)
	}
	before := fileStamp(t, debianConf)
	for _, args := range [][]string{{debianConf}, ourArgv[1:]} {
		out, err := asUser(ourUnit, append([]string{"/usr/bin/qsentinel", "check-config"}, args...)...).CombinedOutput()
		if err != nil || !strings.HasPrefix(string(out), "OK: port "+strconv.Itoa(port)+", 1 masters ("+name+")") {
			t.Fatalf("check-config %q: %v\n%s", args, err, out)
		}
	}
	if after := fileStamp(t, debianConf); after != before {
		t.Fatalf("check-config changed %s: %s, was %s", debianConf, after, before)
	}

	// 3. Start on the same file. First the mistake the README warns of:
	// ours started while redis-sentinel still holds the port fails, says
	// why on stderr and in the log, and leaves the config and
	// redis-sentinel's pidfile as they were.
	before = fileStamp(t, debianConf)
	pidBefore, _ := os.ReadFile("/run/sentinel/redis-sentinel.pid")
	logBefore := fileSize(t, "/var/log/redis/redis-sentinel.log")
	failed, err := launchService(t, c, "qsentinel-too-early", ourUnit, ourArgv)
	if err == nil {
		failed.stop(t)
		t.Fatal("ours started while redis-sentinel held the port")
	}
	if st := failed.p.ExitState(); st == nil || st.Success() || !strings.Contains(failed.p.Logs(), "already in use") {
		t.Errorf("the failed start's exit %v and stderr:\n%s", st, failed.p.Logs())
	}
	// As redis words it, the whole line: nothing after redis's text.
	inUse := regexp.MustCompile(`(?m)^` + strconv.Itoa(failed.p.Pid()) + `:X \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} # ` +
		regexp.QuoteMeta(fmt.Sprintf("Warning: Could not create server TCP listening socket *:%d: bind: Address already in use", port)) + `$`)
	if text := readFrom(t, "/var/log/redis/redis-sentinel.log", logBefore); !inUse.MatchString(text) {
		t.Errorf("the failed start's log, want %s:\n%s", inUse, text)
	}
	if after := fileStamp(t, debianConf); after != before {
		t.Errorf("the failed start changed %s: %s, was %s", debianConf, after, before)
	}
	if pid, _ := os.ReadFile("/run/sentinel/redis-sentinel.pid"); !bytes.Equal(pid, pidBefore) {
		t.Errorf("the failed start rewrote redis-sentinel's pidfile: %q, was %q", pid, pidBefore)
	}

	// Then as the README says: redis-sentinel stopped as systemctl stop
	// does, ours started from our unit; the same id, the replica and the
	// sentinels from the file, and the other two see the same peer come
	// back.
	deb.stop(t)
	// The peers see it go first, so that seeing it linked again below
	// is seeing ours.
	for _, s := range peers[1:] {
		cluster.WaitFor(t, 10*time.Second, s.Name+" to see redis-sentinel gone", func() error {
			err := listsPeer(s, name, myid, port)
			if err == nil || !strings.Contains(err.Error(), "disconnected") {
				return fmt.Errorf("still linked: %v", err)
			}
			return nil
		})
	}
	logStart := fileSize(t, "/var/log/redis/redis-sentinel.log")
	ours := startService(t, c, "qsentinel", ourUnit, ourArgv)
	us := ours.sentinel(port)
	if id, err := us.MyID(); err != nil || id != myid {
		t.Fatalf("SENTINEL MYID %q %v, the file had %q", id, err, myid)
	}
	if pid, err := os.ReadFile("/run/sentinel/redis-sentinel.pid"); err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(ours.p.Pid()) {
		t.Errorf("pidfile %q %v, want %d", pid, err, ours.p.Pid())
	}
	// Known before any hello could have come: read from the file.
	if reps, err := us.Replicas(name); err != nil || len(reps) != 1 || reps[0]["name"] != replica.Addr() {
		t.Errorf("replicas at start: %v %v, want %s from the file", reps, err, replica.Addr())
	}
	var peerIDs []string
	for _, s := range peers[1:] {
		id, err := s.MyID()
		if err != nil {
			t.Fatal(err)
		}
		peerIDs = append(peerIDs, id)
	}
	if known, err := us.Sentinels(name); err != nil || len(known) != 2 ||
		!(known[0]["runid"] == peerIDs[0] && known[1]["runid"] == peerIDs[1] || known[0]["runid"] == peerIDs[1] && known[1]["runid"] == peerIDs[0]) {
		t.Errorf("sentinels at start: %v %v, want %v from the file", known, err, peerIDs)
	}
	// SIGHUP (a "reload", a closed terminal) is ignored, as redis does.
	if err := ours.p.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := us.Do("PING"); err != nil || !ours.p.Running() {
		t.Fatalf("after SIGHUP: %v\n%s", err, ours.p.Logs())
	}
	for _, s := range peers[1:] {
		cluster.WaitFor(t, 20*time.Second, s.Name+" to list ours with id "+myid, func() error {
			return listsPeer(s, name, myid, port)
		})
		// The same peer: no second entry for ours' address.
		s.WaitSentinels(t, name, 2, 5*time.Second)
	}
	us.WaitSentinels(t, name, 2, 20*time.Second)

	// 4. Status.
	if out, err := exec.Command("/usr/bin/qsentinel", "status", "--addr", us.Addr()).CombinedOutput(); err != nil ||
		!regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(name)+` +master +`+regexp.QuoteMeta(master.Addr())+` `).Match(out) ||
		!strings.Contains(string(out), replica.Addr()) ||
		!strings.Contains(string(out), peers[1].Addr()) || !strings.Contains(string(out), peers[2].Addr()) {
		t.Errorf("qsentinel status: %v\n%s", err, out)
	}
	if out := redisCLI(t, port, "SENTINEL", "CKQUORUM", name); !strings.HasPrefix(out, "OK 3 usable Sentinels") {
		t.Errorf("SENTINEL CKQUORUM: %q", out)
	}

	// 5. A failover on purpose, watched with redis-cli PSUBSCRIBE '*'.
	psub := cluster.NewProcess("psubscribe", "/usr/bin/redis-cli", "/", "-p", strconv.Itoa(port), "PSUBSCRIBE", "*")
	c.Adopt(psub)
	if err := psub.Start(); err != nil {
		t.Fatal(err)
	}
	cluster.WaitFor(t, 5*time.Second, "redis-cli PSUBSCRIBE to be subscribed", func() error {
		if !strings.Contains(psub.Logs(), "psubscribe\n*\n1\n") {
			return fmt.Errorf("output %q", psub.Logs())
		}
		return nil
	})
	if out := redisCLI(t, port, "SENTINEL", "FAILOVER", name, "COORDINATED"); out != "OK" {
		t.Fatalf("SENTINEL FAILOVER %s COORDINATED: %q", name, out)
	}
	switched := fmt.Sprintf("+switch-master\n%s 127.0.0.1 %d 127.0.0.1 %d\n", name, master.Port, replica.Port)
	cluster.WaitFor(t, 30*time.Second, "+switch-master on redis-cli PSUBSCRIBE", func() error {
		if !strings.Contains(psub.Logs(), switched) {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	for _, s := range append([]*cluster.Sentinel{us}, peers[1:]...) {
		cluster.WaitFor(t, 20*time.Second, s.Name+" to name the new master", func() error {
			if got, err := masterAddr(s, name); err != nil || got != replica.Addr() {
				return fmt.Errorf("%s %v", got, err)
			}
			return nil
		})
	}
	cluster.WaitReplicaOf(t, master, replica, 20*time.Second)

	// 6. Logs: the stock file's logfile, in redis's line format, with
	// ours' pid on each line since its start.
	logText := readFrom(t, "/var/log/redis/redis-sentinel.log", logStart)
	line := regexp.MustCompile(`^` + strconv.Itoa(ours.p.Pid()) + `:X \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] `)
	for _, want := range []string{"oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo", "Sentinel ID is " + myid,
		fmt.Sprintf("+monitor master %s 127.0.0.1 %d quorum %d", name, master.Port, quorum),
		" voted for " + myid + " 1", "Sentinel new configuration saved on disk",
		fmt.Sprintf("+switch-master %s 127.0.0.1 %d 127.0.0.1 %d", name, master.Port, replica.Port)} {
		found := false
		for _, l := range strings.Split(logText, "\n") {
			if strings.HasSuffix(l, want) && line.MatchString(l) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %q in redis's format in the log since our start:\n%s", want, logText)
		}
	}
	// Debian's logrotate rule for it renames the file (no copytruncate,
	// no postrotate signal): the next line must start a new file, not go
	// on in the renamed one. Created under the unit's UMask=007.
	const logPath = "/var/log/redis/redis-sentinel.log"
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	rotatedSize := fileSize(t, logPath+".1")
	if out := redisCLI(t, port, "SENTINEL", "FLUSHCONFIG"); out != "OK" {
		t.Fatalf("SENTINEL FLUSHCONFIG: %q", out)
	}
	cluster.WaitFor(t, 5*time.Second, "a new "+logPath+" after the rename", func() error {
		data, err := os.ReadFile(logPath)
		if err != nil {
			return err
		}
		if !strings.Contains(string(data), "Sentinel new configuration saved on disk") {
			return fmt.Errorf("%q", data)
		}
		return nil
	})
	if mode := fileMode(t, logPath); !strings.HasSuffix(strings.Fields(mode)[0], "---") {
		t.Errorf("the new log: %s, want no access for others (UMask=007)", mode)
	}
	if size := fileSize(t, logPath+".1"); size != rotatedSize {
		t.Errorf("the renamed log grew from %d to %d bytes after the rename", rotatedSize, size)
	}

	// 7. Metrics and health, on the unit's --metrics address.
	metrics := argValue(ourArgv, "--metrics")
	if code, body := httpGet(t, "http://"+metrics+"/metrics"); code != 200 ||
		!strings.Contains(body, `redis_sentinel_master_status{`) || !strings.Contains(body, `master_name="`+name+`"`) {
		t.Errorf("/metrics: %d\n%.2000s", code, body)
	}
	cluster.WaitFor(t, 15*time.Second, "/readiness 200", func() error {
		if code, body := httpGet(t, "http://"+metrics+"/readiness"); code != 200 {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	if code, body := httpGet(t, "http://"+metrics+"/master/"+name); code != 200 || !strings.Contains(body, strconv.Itoa(replica.Port)) {
		t.Errorf("/master/%s: %d %s", name, code, body)
	}

	// 8. HAProxy: the README's command, its output checked by haproxy
	// itself, then run (on a socket of its own: /run/haproxy is the
	// host's) to see the agent route the frontend to the new master.
	agent := argValue(ourArgv, "--agent-check")
	front := cluster.MustFreePort(t)
	hpDir := c.NewDir("haproxy")
	cfg := filepath.Join(hpDir, "haproxy.cfg")
	hpArgs := []string{"haproxy-config", debianConf, "--agent-addr", agent, "--bind", "127.0.0.1",
		"--frontend-port", fmt.Sprintf("%s=%d", name, front), "--stats-socket", "/run/haproxy/admin.sock"}
	if out, err := exec.Command("/usr/bin/qsentinel", append(hpArgs, "--output", cfg)...).CombinedOutput(); err != nil {
		t.Fatalf("haproxy-config: %v\n%s", err, out)
	}
	if out, err := exec.Command("haproxy", "-c", "-f", cfg).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	hpArgs[len(hpArgs)-1] = filepath.Join(hpDir, "admin.sock")
	live, err := exec.Command("/usr/bin/qsentinel", hpArgs...).Output()
	if err != nil {
		t.Fatalf("haproxy-config: %v", err)
	}
	cluster.StartHAProxy(t, c, "haproxy", string(live), front)
	cluster.WaitFor(t, 15*time.Second, "the frontend to reach the new master", func() error {
		info, err := cluster.Command(fmt.Sprintf("127.0.0.1:%d", front), "INFO", "server")
		if err != nil {
			return err
		}
		if got := cluster.ParseInfo(info.Text())["tcp_port"]; got != strconv.Itoa(replica.Port) {
			return fmt.Errorf("reached port %s", got)
		}
		return nil
	})

	// 9. Back to redis-sentinel on the same file (no state-config-file:
	// nothing to export): it keeps the id and names the new master.
	mine, err := us.Master(name)
	if err != nil {
		t.Fatal(err)
	}
	ours.stop(t)
	// Ours rewrote the file like redis-sentinel does: same owner and
	// mode (Debian sets them with dpkg-statoverride), no temporary file
	// left beside it.
	if got := fileMode(t, debianConf); got != confMode0 {
		t.Errorf("%s after ours: %s, was %s", debianConf, got, confMode0)
	}
	if names, err := filepath.Glob("/etc/redis/*"); err != nil || len(names) != len(etcRedis0) {
		t.Errorf("/etc/redis after ours: %v %v, was %v", names, err, etcRedis0)
	}
	deb = startService(t, c, "redis-sentinel", debUnit, debUnit.execStart(t))
	back := deb.sentinel(port)
	if id, err := back.MyID(); err != nil || id != myid {
		t.Errorf("redis-sentinel's id after ours: %q %v, want %q", id, err, myid)
	}
	if got, err := masterAddr(back, name); err != nil || got != replica.Addr() {
		t.Errorf("redis-sentinel after ours names %s %v, want %s", got, err, replica.Addr())
	}
	if m, err := back.Master(name); err != nil || m["config-epoch"] != mine["config-epoch"] || mine["config-epoch"] == "0" {
		t.Errorf("redis-sentinel's config-epoch after ours: %q %v, ours had %q", m["config-epoch"], err, mine["config-epoch"])
	}
	for _, s := range peers[1:] {
		cluster.WaitFor(t, 20*time.Second, s.Name+" to list redis-sentinel again with id "+myid, func() error {
			return listsPeer(s, name, myid, port)
		})
	}
	deb.stop(t)

	dpkg(t, "--purge", "qsentinel")
	if st := dpkgStatus("qsentinel"); strings.HasSuffix(st, " installed") {
		t.Errorf("after purge: %s", st)
	}
}

// pointConf rewrites only the port and the "sentinel monitor" line of the
// config at path (its owner and mode stay), and returns the master's name
// and quorum.
func pointConf(t *testing.T, path string, port, masterPort int) (name string, quorum int) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	ports, monitors := 0, 0
	for i, l := range lines {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && strings.EqualFold(f[0], "port"):
			lines[i] = "port " + strconv.Itoa(port)
			ports++
		case len(f) == 6 && strings.EqualFold(f[0], "sentinel") && strings.EqualFold(f[1], "monitor"):
			name = f[2]
			if quorum, err = strconv.Atoi(f[5]); err != nil {
				t.Fatalf("%s: %q: %v", path, l, err)
			}
			lines[i] = fmt.Sprintf("%s %s %s 127.0.0.1 %d %s", f[0], f[1], f[2], masterPort, f[5])
			monitors++
		}
	}
	if ports != 1 || monitors != 1 {
		t.Fatalf("%s: %d port and %d sentinel monitor lines, want one each (the stock file)", path, ports, monitors)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if err := replaceFile(path, []byte(strings.Join(lines, "\n")), st.Mode(), int(sys.Uid), int(sys.Gid), time.Now()); err != nil {
		t.Fatal(err)
	}
	return name, quorum
}

// unit is the [Service] section of a systemd unit file: each key's values
// in order (a key may repeat, as ReadWritePaths= does).
type unit map[string][]string

func readUnit(t *testing.T, path string) unit {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u, section := unit{}, ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case l == "" || l[0] == '#' || l[0] == ';':
		case l[0] == '[':
			section = l
		case section == "[Service]":
			k, v, ok := strings.Cut(l, "=")
			if !ok {
				t.Fatalf("%s: bad line %q", path, l)
			}
			u[strings.TrimSpace(k)] = append(u[strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

// get is key's last value (the one systemd uses for a single-valued
// key), or def.
func (u unit) get(key, def string) string {
	if v := u[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

// execStart is ExecStart= as an argv; these units need no quoting.
func (u unit) execStart(t *testing.T) []string {
	t.Helper()
	argv := strings.Fields(u.get("ExecStart", ""))
	if len(argv) == 0 || strings.ContainsAny(u.get("ExecStart", ""), `"'\$%`) {
		t.Fatalf("ExecStart %q: want a plain command line", u.get("ExecStart", ""))
	}
	return argv
}

// ids are the unit's User= and Group= (the user's own group if none).
func (u unit) ids(t *testing.T) (usr, grp string, uid, gid int) {
	t.Helper()
	usr = u.get("User", "root")
	acct, err := user.Lookup(usr)
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(acct.Gid)
	if err != nil {
		t.Fatal(err)
	}
	grp = u.get("Group", g.Name)
	if g, err = user.LookupGroup(grp); err != nil {
		t.Fatal(err)
	}
	uid, _ = strconv.Atoi(acct.Uid)
	gid, _ = strconv.Atoi(g.Gid)
	return usr, grp, uid, gid
}

// asUser is a command run as the unit's user and group, with the user's
// supplementary groups, as systemd runs the unit's processes.
func asUser(u unit, argv ...string) *exec.Cmd {
	usr, grp := u.get("User", "root"), u.get("Group", u.get("User", "root"))
	return exec.Command("setpriv", append([]string{"--reuid=" + usr, "--regid=" + grp, "--init-groups", "--"}, argv...)...)
}

// service is a unit's main process started as systemctl start would,
// with the notify socket systemd keeps open for it while it runs.
type service struct {
	p     *cluster.Process
	ready chan struct{} // closed at READY=1

	mu    sync.Mutex
	notes []string // every sd_notify line received
}

// sentinel is the service as a harness sentinel on port, for its helpers.
func (s *service) sentinel(port int) *cluster.Sentinel {
	return &cluster.Sentinel{Process: s.p, Impl: cluster.Real, Port: port, ConfPath: debianConf}
}

// startService does for a Type=notify unit what systemctl start does,
// without systemd: RuntimeDirectory= made with its mode and owner, a
// clean environment with NOTIFY_SOCKET, LimitNOFILE= (capped at this
// machine's hard limit: raising it needs CAP_SYS_RESOURCE, which a
// container's root may lack), User=/Group= with supplementary groups,
// UMask=, working directory /, argv; and it returns once READY=1 came.
// What it does not do: the sandboxing (ProtectSystem= and friends, which
// systemd/unit_test.go checks against the paths the stock file writes).
func startService(t *testing.T, c *cluster.Cluster, name string, u unit, argv []string) *service {
	t.Helper()
	s, err := launchService(t, c, name, u, argv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchService is startService returning the failure of a start that
// does not come to READY=1, for a start that is meant to fail.
func launchService(t *testing.T, c *cluster.Cluster, name string, u unit, argv []string) (*service, error) {
	t.Helper()
	if typ := u.get("Type", "simple"); typ != "notify" {
		t.Fatalf("%s: Type=%s, want notify", name, typ)
	}
	usr, grp, uid, gid := u.ids(t)
	mode := uint64(0o755)
	if m := u.get("RuntimeDirectoryMode", ""); m != "" {
		var err error
		if mode, err = strconv.ParseUint(m, 8, 32); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range strings.Fields(strings.Join(u["RuntimeDirectory"], " ")) {
		dir := filepath.Join("/run", d)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		// Chmod after Mkdir: the umask and Mkdir drop the setgid bit.
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, fs.FileMode(mode&0o777)|modeBits(mode)); err != nil {
			t.Fatal(err)
		}
	}
	sockDir, err := os.MkdirTemp("", "notify-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sockPath := filepath.Join(sockDir, "notify")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	// The service's user must reach and write the socket.
	if err := os.Chmod(sockDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sockPath, 0o777); err != nil {
		t.Fatal(err)
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	nofile := lim.Max
	if v, err := strconv.ParseUint(u.get("LimitNOFILE", ""), 10, 64); err == nil && v < nofile {
		nofile = v
	}
	umask := u.get("UMask", "0022")
	args := []string{"-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NOTIFY_SOCKET=" + sockPath,
		cluster.LookBinary(t, "prlimit"), fmt.Sprintf("--nofile=%d:%d", nofile, nofile), "--",
		cluster.LookBinary(t, "setpriv"), "--reuid=" + usr, "--regid=" + grp, "--init-groups", "--",
		"/bin/sh", "-c", `umask "$0" && exec "$@"`, umask}
	p := cluster.NewProcess(name, cluster.LookBinary(t, "env"), "/", append(args, argv...)...)
	c.Adopt(p)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{p: p, ready: make(chan struct{})}
	// Read until the test ends, as systemd listens for the unit's whole
	// life: STOPPING=1 comes at the stop.
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			s.mu.Lock()
			for _, l := range strings.Split(string(buf[:n]), "\n") {
				s.notes = append(s.notes, l)
				if l == "READY=1" && !isClosed(s.ready) {
					close(s.ready)
				}
			}
			s.mu.Unlock()
		}
	}()
	select {
	case <-s.ready:
		return s, nil
	case <-p.Exited():
		return s, fmt.Errorf("%s exited before READY=1 (%v)\n%s", name, p.ExitState(), p.Logs())
	case <-time.After(2 * cluster.StartTimeout):
		p.Kill()
		return s, fmt.Errorf("%s: no READY=1 in %v\n%s", name, 2*cluster.StartTimeout, p.Logs())
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// modeBits are the setuid/setgid/sticky bits of an octal unit mode.
func modeBits(mode uint64) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// stop is systemctl stop: SIGTERM, then the wait for the exit, which must
// be clean (a failed exit is a failed unit).
func (s *service) stop(t *testing.T) {
	t.Helper()
	if err := s.p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.p.Exited():
	case <-time.After(15 * time.Second):
		t.Fatalf("%s: still running 15s after SIGTERM", s.p.Name)
	}
	if st := s.p.ExitState(); st == nil || !st.Success() {
		t.Errorf("%s: exit after SIGTERM: %v\n%s", s.p.Name, st, s.p.Logs())
	}
	// Both redis-sentinel and ours tell systemd they are stopping; the
	// datagram was sent before the exit, so it is there (or never comes).
	if err := cluster.Poll(time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !slices.Contains(s.notes, "STOPPING=1") {
			return fmt.Errorf("no STOPPING=1 among %q", s.notes)
		}
		return nil
	}); err != nil {
		t.Errorf("%s: %v", s.p.Name, err)
	}
}

// listsPeer checks that s lists a sentinel with id and port, linked.
func listsPeer(s *cluster.Sentinel, name, id string, port int) error {
	peers, err := s.Sentinels(name)
	if err != nil {
		return err
	}
	for _, p := range peers {
		if p["runid"] == id {
			if p["port"] != strconv.Itoa(port) || p["flags"] != "sentinel" {
				return fmt.Errorf("%s listed at port %s, flags %s", id, p["port"], p["flags"])
			}
			return nil
		}
	}
	return fmt.Errorf("%s not among %v", id, peers)
}

// redisCLI is redis-cli -p port args..., its output trimmed.
func redisCLI(t *testing.T, port int, args ...string) string {
	t.Helper()
	out, err := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(port)}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 3 * time.Second}).Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// argValue is the value after flag in argv.
func argValue(argv []string, flag string) string {
	for i := 0; i+1 < len(argv); i++ {
		if argv[i] == flag {
			return argv[i+1]
		}
	}
	return ""
}

// freeAddr is addr if nothing listens there, else a free loopback port.
func freeAddr(t *testing.T, addr string) string {
	t.Helper()
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		return addr
	}
	sub := fmt.Sprintf("127.0.0.1:%d", cluster.MustFreePort(t))
	t.Logf("%s is busy here: %s instead", addr, sub)
	return sub
}

// dpkgStatus is dpkg's status of pkg ("install ok installed"), or "".
func dpkgStatus(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		if os.IsNotExist(err) {
			return 0
		}
		t.Fatal(err)
	}
	return st.Size()
}

func readFrom(t *testing.T, path string, off int64) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if off > int64(len(data)) {
		off = 0
	}
	return string(data[off:])
}

// fileMode is a file's owner, group and mode, as ls shows them.
func fileMode(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("%s %d:%d", st.Mode(), sys.Uid, sys.Gid)
}

// fileStamp is a file's content hash and mtime, to see that it was not
// touched.
func fileStamp(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("sha256 %x mtime %s", sha256.Sum256(data), st.ModTime().Format(time.RFC3339Nano))
}

// savedPath is a file or directory as it was before the test: a file's
// bytes, a directory's entries, and either's owner, mode and mtime.
type savedPath struct {
	path    string
	exists  bool
	data    []byte
	entries map[string]bool
	mode    fs.FileMode
	uid     int
	gid     int
	mtime   time.Time
}

func savePath(t *testing.T, path string) savedPath {
	t.Helper()
	s := savedPath{path: path}
	st, err := os.Stat(path)
	if os.IsNotExist(err) {
		return s
	}
	if err != nil {
		t.Fatal(err)
	}
	s.exists, s.mode, s.mtime = true, st.Mode(), st.ModTime()
	sys := st.Sys().(*syscall.Stat_t)
	s.uid, s.gid = int(sys.Uid), int(sys.Gid)
	if st.IsDir() {
		names, err := os.ReadDir(path)
		if err != nil {
			t.Fatal(err)
		}
		s.entries = map[string]bool{}
		for _, n := range names {
			s.entries[n.Name()] = true
		}
	} else if s.data, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	return s
}

// restore puts the path back as saved: a file's bytes, a directory's
// entries (new ones removed; the saved ones' contents are their own
// savedPath's business), then owner, mode and mtime.
func (s savedPath) restore() error {
	if !s.exists {
		return os.RemoveAll(s.path)
	}
	if s.entries != nil {
		names, err := os.ReadDir(s.path)
		if err != nil {
			return err
		}
		for _, n := range names {
			if !s.entries[n.Name()] {
				if err := os.RemoveAll(filepath.Join(s.path, n.Name())); err != nil {
					return err
				}
			}
		}
	} else {
		return replaceFile(s.path, s.data, s.mode, s.uid, s.gid, s.mtime)
	}
	if err := os.Chown(s.path, s.uid, s.gid); err != nil {
		return err
	}
	if err := os.Chmod(s.path, s.mode); err != nil {
		return err
	}
	return os.Chtimes(s.path, s.mtime, s.mtime)
}

// replaceFile replaces path with a file of data, mode, owner and mtime
// the way the sentinels rewrite it, by a rename: other test binaries
// that read Debian's file (sentinelconf, systemd) never see half of it.
func replaceFile(path string, data []byte, mode fs.FileMode, uid, gid int, mtime time.Time) error {
	tmp := path + ".migrate-test"
	err := os.WriteFile(tmp, data, 0o600)
	if err == nil {
		err = os.Chown(tmp, uid, gid)
	}
	if err == nil {
		err = os.Chmod(tmp, mode)
	}
	if err == nil {
		err = os.Chtimes(tmp, mtime, mtime)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// restoreHost saves what the walkthrough changes on this host and puts it
// back at the end, after the cluster's processes are gone (cleanups run
// last-registered first, and the cluster is made after this), checking
// that the config is byte-identical again. The package's qsentinel user
// stays after a purge, as Debian's packages leave theirs; it is removed
// here if the package made it.
func restoreHost(t *testing.T) {
	t.Helper()
	// Files before their directories: a directory's mtime is set last.
	var saved []savedPath
	for _, p := range []string{debianConf, "/var/log/redis/redis-sentinel.log", "/run/sentinel",
		"/etc/redis", "/var/log/redis", "/var/lib/redis"} {
		saved = append(saved, savePath(t, p))
	}
	before := fileStamp(t, debianConf)
	_, userErr := user.Lookup("qsentinel")
	t.Cleanup(func() {
		if st := dpkgStatus("qsentinel"); st != "" && !strings.HasSuffix(st, "not-installed") {
			if out, err := exec.Command("dpkg", "--purge", "qsentinel").CombinedOutput(); err != nil {
				t.Errorf("dpkg --purge: %v\n%s", err, out)
			}
		}
		for _, s := range saved {
			if err := s.restore(); err != nil {
				t.Errorf("restore %s: %v", s.path, err)
			}
		}
		if after := fileStamp(t, debianConf); after != before {
			t.Errorf("%s not restored: %s, was %s", debianConf, after, before)
		}
		if _, err := user.Lookup("qsentinel"); userErr != nil && err == nil {
			if out, err := exec.Command("userdel", "qsentinel").CombinedOutput(); err != nil {
				t.Errorf("userdel qsentinel: %v\n%s", err, out)
			}
		}
	})
}
