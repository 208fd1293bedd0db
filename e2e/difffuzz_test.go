package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/qsentinel/qsentinel/e2e/sessiongen"
)

// The differential fuzzer: generated client sessions are played byte for
// byte, with the same split points and pauses, against a real
// redis-sentinel and ours watching the same master, and every reply,
// every missing reply and every closed connection is compared.
//
// QSENTINEL_DIFFFUZZ_SEED     first session's seed (default: the clock);
//                             session i uses seed+i, so one session
//                             replays with SEED=<its seed> SESSIONS=1
// QSENTINEL_DIFFFUZZ_SESSIONS number of sessions, or
// QSENTINEL_DIFFFUZZ_DURATION how long to generate (default 40s: the
//                             bounded run of make test)
// QSENTINEL_DIFFFUZZ_CORPUS=0 skips the committed sessions (to see what
//                             generated sessions alone find)
// QSENTINEL_DIFFFUZZ_SAVE     directory to write each new difference's
//                             session to, ready for testdata/difffuzz

const fuzzCorpus = "testdata/difffuzz"

// fuzzPair is two sentinels, redis-sentinel and ours, with the same
// configuration.
type fuzzPair struct {
	name       string
	real, ours *cluster.Sentinel
	tgt        sessiongen.Target
	pass       string // requirepass, for the client id probe
	base       *masker
	commands   map[string]bool
}

// Users of the "auth" pair: requirepass is the default user's password;
// alice may do everything, bob only connect and PING.
var fuzzUsers = map[string]string{"default": "secret", "alice": "alicepw", "bob": "bobpw"}

func startFuzzPairs(t *testing.T) map[string]*fuzzPair {
	c := cluster.New(t)
	master := c.StartRedis("master")
	replica := c.StartReplica("replica", master)
	cluster.WaitReplicaSynced(t, replica)
	pairs := map[string]*fuzzPair{}
	for _, p := range []struct {
		name, master, pass string
		extra              []string
	}{
		{"open", "mymaster", "", nil},
		{"auth", "authmaster", "secret", []string{
			"requirepass secret",
			"user alice on >alicepw ~* &* +@all",
			"user bob on >bobpw -@all +ping +auth +hello",
			"sentinel sentinel-pass secret",
		}},
	} {
		mon := []cluster.Monitor{{Name: p.master, Redis: master, Quorum: 2, DownAfter: 5 * time.Second}}
		sc := cluster.SentinelConfig{Monitors: mon, Extra: p.extra}
		fp := &fuzzPair{
			name: p.name, pass: p.pass, base: newMasker(),
			real: c.StartSentinel(cluster.Real, p.name+"-real", sc),
			ours: c.StartSentinel(cluster.Ours, p.name+"-ours", sc),
			tgt:  sessiongen.Target{Pair: p.name, Master: p.master, MasterPort: master.Port},
		}
		if p.pass != "" {
			fp.tgt.Users = fuzzUsers
		}
		for _, s := range []*cluster.Sentinel{fp.real, fp.ours} {
			conn := cluster.MustDial(t, s.Addr())
			if p.pass != "" {
				conn.Must(t, "AUTH", p.pass)
			}
			id := conn.Must(t, "SENTINEL", "MYID").Text()
			fp.base.add(id, "<sentinel-id>")
			fp.base.add(strconv.Itoa(s.Port), "<sentinel-port>")
			conn.Close()
		}
		pairs[p.name] = fp
	}
	// Both sides must see the same topology before replies are compared.
	for _, fp := range pairs {
		for _, s := range []*cluster.Sentinel{fp.real, fp.ours} {
			if fp.pass == "" {
				s.WaitSentinels(t, fp.tgt.Master, 1, 30*time.Second)
				s.WaitReplica(t, fp.tgt.Master, replica.Addr(), 30*time.Second)
			}
		}
	}
	return pairs
}

// clientID finds the id a sentinel gave the connection from local
// address laddr, with a second connection's CLIENT LIST.
func (fp *fuzzPair) clientID(s *cluster.Sentinel, laddr string) (int64, error) {
	conn, err := cluster.Dial(s.Addr())
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if fp.pass != "" {
		if _, err := conn.DoOK("AUTH", fp.pass); err != nil {
			return 0, err
		}
	}
	for try := 0; try < 20; try++ {
		v, err := conn.DoOK("CLIENT", "LIST")
		if err != nil {
			return 0, err
		}
		for _, l := range strings.Split(v.Text(), "\n") {
			if strings.Contains(l, " addr="+laddr+" ") {
				f := strings.Fields(l)
				if len(f) > 0 && strings.HasPrefix(f[0], "id=") {
					return strconv.ParseInt(f[0][3:], 10, 64)
				}
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s: no CLIENT LIST line for %s", s.Name, laddr)
}

// run plays one session and returns its result and, on a difference, a
// transcript.
func (fp *fuzzPair) run(sess *sessiongen.Session, knownRequest bool) (fuzzResult, string, error) {
	real, err := dialSide("redis-sentinel", fp.real.Addr())
	if err != nil {
		return fuzzResult{}, "", err
	}
	defer real.close()
	ours, err := dialSide("ours", fp.ours.Addr())
	if err != nil {
		return fuzzResult{}, "", err
	}
	defer ours.close()
	for _, s := range []struct {
		side *fuzzSide
		sen  *cluster.Sentinel
	}{{real, fp.real}, {ours, fp.ours}} {
		id, err := fp.clientID(s.sen, s.side.nc.LocalAddr().String())
		if err != nil {
			return fuzzResult{}, "", err
		}
		fm := &fuzzMasker{m: fp.base, own: id, commands: fp.commands}
		s.side.norm = fm.norm
	}
	res := playSession(sess, real, ours, knownRequest)
	if res.diff == "" {
		return res, "", nil
	}
	tr := sess.Transcript() + "difference: " + res.diff + "\nredis-sentinel replies:\n" + replyLines(real) + "our replies:\n" + replyLines(ours)
	return res, tr, nil
}

// knownDiff is a difference someone is already fixing: sessions that
// show a difference and contain a matching request (onRequest) or whose
// difference matches are counted, not failed.
type knownDiff struct {
	re        *regexp.Regexp
	onRequest bool
	always    bool // a committed session marked "# known:"
	reason    string
	hits      int
}

func loadKnown(t *testing.T) []*knownDiff {
	f, err := os.Open(filepath.Join(fuzzCorpus, "known.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*knownDiff
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, ": ")
		pat, reason, ok := strings.Cut(rest, " -- ")
		if !ok || (kind != "request" && kind != "diff") {
			t.Fatalf("known.txt: %q: want request|diff: <regexp> -- <reason>", line)
		}
		out = append(out, &knownDiff{re: regexp.MustCompile(pat), onRequest: kind == "request", reason: reason})
	}
	return out
}

// knownReason reads a committed session's "# known: <reason>" line.
func knownReason(text string) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		if r, ok := strings.CutPrefix(l, "# known: "); ok {
			return r, true
		}
	}
	return "", false
}

// classify returns the known difference a session's difference falls
// under.
func classify(known []*knownDiff, sess *sessiongen.Session, diff string) *knownDiff {
	for _, k := range known {
		if k.always || !k.onRequest && k.re.MatchString(diff) {
			return k
		}
	}
	for _, k := range known {
		if !k.onRequest {
			continue
		}
		for _, r := range sess.Requests {
			if k.re.MatchString(r) {
				return k
			}
		}
	}
	return nil
}

// rareRequests is what the generator draws less often: requests whose
// differences are known would otherwise hide a third of the sessions.
func rareRequests(known []*knownDiff) func(string) bool {
	return func(desc string) bool {
		for _, k := range known {
			if k.onRequest && k.re.MatchString(desc) {
				return true
			}
		}
		return false
	}
}

// fuzzStats is the report of a run.
type fuzzStats struct {
	sessions, requests, compared, diffs, known, late int
	commands                                         map[string]bool // table entries drawn
}

func (st fuzzStats) String() string {
	return fmt.Sprintf("%d sessions, %d requests sent, %d replies compared, %d differences, %d known differences, %d late replies (after 200 ms, within 2 s), %d command table entries drawn",
		st.sessions, st.requests, st.compared, st.diffs, st.known, st.late, len(st.commands))
}

// check plays a session and accounts for its outcome; it reports a new
// difference as a test error with the transcript.
func (st *fuzzStats) check(t *testing.T, fp *fuzzPair, sess *sessiongen.Session, known []*knownDiff, label string) bool {
	// Whether the session holds a request with a known difference (a
	// committed session marked known, or a generated one): see playSession.
	knownRequest := len(known) == 1 && known[0].always
	for _, r := range sess.Requests {
		knownRequest = knownRequest || (known != nil && fp.tgt.Rare != nil && fp.tgt.Rare(r))
	}
	res, tr, err := fp.run(sess, knownRequest)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	st.sessions++
	st.requests += len(sess.Requests)
	if st.commands == nil {
		st.commands = map[string]bool{}
	}
	for _, c := range sess.Commands {
		st.commands[c] = true
	}
	st.compared += res.compared
	st.late += res.late
	if res.diff == "" {
		return false
	}
	if k := classify(known, sess, res.diff); k != nil {
		st.known++
		k.hits++
		return false
	}
	st.diffs++
	if st.diffs <= 5 {
		t.Errorf("%s: difference\n%s\nsession file:\n%s", label, tr, sess.Marshal())
	}
	return true
}

func commandTable(t *testing.T) *sessiongen.Table {
	tab, err := sessiongen.LoadTable("../commandtable/data")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestDiffFuzz replays the committed sessions of testdata/difffuzz, then
// generates sessions for QSENTINEL_DIFFFUZZ_DURATION (40s by default) or
// QSENTINEL_DIFFFUZZ_SESSIONS.
// defaultDiffFuzzSeed is the first session seed of make test's bounded
// run; its sessions were clean when it was chosen (2026-11-29, ~600).
const defaultDiffFuzzSeed = 152167847

func TestDiffFuzz(t *testing.T) {
	tab := commandTable(t)
	known := loadKnown(t)
	pairs := startFuzzPairs(t)
	names := map[string]bool{}
	for _, c := range tab.Commands {
		names[c.Name] = true
		for _, sc := range c.Subs {
			names[sc.Name] = true
		}
	}
	for _, fp := range pairs {
		fp.tgt.Rare = rareRequests(known)
		fp.commands = names
	}

	var corpus fuzzStats
	files, _ := filepath.Glob(filepath.Join(fuzzCorpus, "*.txt"))
	if os.Getenv("QSENTINEL_DIFFFUZZ_CORPUS") == "0" {
		files = nil
	}
	for _, f := range files {
		if filepath.Base(f) == "known.txt" {
			continue
		}
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sess, err := sessiongen.Unmarshal(string(text))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fp := pairs[sess.Pair]
		if fp == nil {
			t.Fatalf("%s: no pair %q", f, sess.Pair)
		}
		sess.Requests = []string{"(replayed from " + f + ")"}
		// A session of a known difference says so ("# known: why"): it
		// is counted and reported, and noticed when it stops differing.
		var knownHere []*knownDiff
		if reason, ok := knownReason(string(text)); ok {
			knownHere = []*knownDiff{{always: true, reason: reason}}
		}
		before := corpus.known
		corpus.check(t, fp, sess, knownHere, f)
		switch {
		case knownHere != nil && corpus.known > before:
			t.Logf("%s: known difference (%s)", f, knownHere[0].reason)
		case knownHere != nil:
			t.Logf("%s: marked known but no longer differs: drop its \"# known:\" line", f)
		}
	}
	t.Logf("difffuzz corpus: %s", corpus)

	// make test generates from a fixed seed: the sessions it plays are the
	// same on every run, so CI is red only for a change of ours, never for
	// a session nobody has seen before. New ground is make difffuzz's
	// (QSENTINEL_DIFFFUZZ_SEED=random, its default): what it finds becomes
	// a committed session.
	seed := int64(defaultDiffFuzzSeed)
	if s := os.Getenv("QSENTINEL_DIFFFUZZ_SEED"); s == "random" {
		seed = time.Now().UnixNano() % 1e9
	} else if s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("QSENTINEL_DIFFFUZZ_SEED: %v", err)
		}
		seed = v
	}
	sessions, duration := -1, 40*time.Second
	if s := os.Getenv("QSENTINEL_DIFFFUZZ_SESSIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("QSENTINEL_DIFFFUZZ_SESSIONS: %v", err)
		}
		sessions = n
	}
	if s := os.Getenv("QSENTINEL_DIFFFUZZ_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("QSENTINEL_DIFFFUZZ_DURATION: %v", err)
		}
		duration = d
	}
	save := os.Getenv("QSENTINEL_DIFFFUZZ_SAVE")
	t.Logf("difffuzz: seed %d (replay one session with QSENTINEL_DIFFFUZZ_SEED=<its seed> QSENTINEL_DIFFFUZZ_SESSIONS=1)", seed)
	var st fuzzStats
	start := time.Now()
	for i := 0; sessions < 0 && time.Since(start) < duration || i < sessions; i++ {
		s := seed + int64(i)
		fp := pairs["open"]
		if s%5 == 0 {
			fp = pairs["auth"]
		}
		sess := sessiongen.Generate(tab, fp.tgt, s)
		label := fmt.Sprintf("session seed %d (pair %s)", s, fp.name)
		if st.check(t, fp, sess, known, label) && save != "" {
			os.MkdirAll(save, 0o755)
			os.WriteFile(filepath.Join(save, fmt.Sprintf("seed-%d.txt", s)), []byte(sess.Marshal("seed "+strconv.FormatInt(s, 10))), 0o644)
		}
	}
	for _, k := range known {
		if k.hits > 0 {
			t.Logf("known difference in %d sessions: %s (%s)", k.hits, k.re, k.reason)
		}
	}
	var missing []string
	for name := range names {
		if c := tab.Lookup(name); !st.commands[name] && !sessiongen.Excluded(name) && (c == nil || len(c.Subs) == 0) {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	t.Logf("difffuzz: %s (of %d) in %v (seed %d); not drawn: %v", st, len(names), time.Since(start).Round(time.Second), seed, missing)
}
