package hooks

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/event"
)

// A hook that keeps failing delays only its own later runs: another hook
// of the same master runs for every event at once (issue 18 item 4: one
// failing hook held every later hook of its master for ~15 minutes).
func TestFailingHookDoesNotBlockOtherHooks(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	failing := writeScript(t, dir, "fail.sh", `exit 1`)
	ok := writeScript(t, dir, "ok.sh", `echo "$1" >> `+out)
	r, _ := start(t, Config{Rules: []Rule{{Event: "*", Argv: []string{failing}}, {Event: "*", Argv: []string{ok}}},
		Journal: filepath.Join(dir, "j"), Backoff: time.Hour, BackoffMax: time.Hour, MaxAttempts: 3})
	r.Handle(&event.Event{Kind: "+a", Master: "m"})
	r.Handle(&event.Event{Kind: "+b", Master: "m"})
	eventually(t, "the healthy hook ran for both events", func() bool { return read(out) == "+a\n+b\n" && len(r.Pending()) == 2 })
	// The failing hook's first run waits for its retry; its second run
	// waits behind it (order per hook is kept).
	p := r.Pending()
	if len(p) != 2 || p[0].Event != "+a" || p[1].Event != "+b" || p[0].Attempts != 1 || p[1].Attempts != 0 {
		t.Fatalf("pending %+v, want the failing hook's +a (1 attempt) then +b (none)", p)
	}
}

// recorder is an Observer that keeps what it heard.
type recorder struct {
	mu       sync.Mutex
	rules    []string
	attempts []string
	finished []string
	pending  int
}

func (o *recorder) Rules(h []string) { o.mu.Lock(); o.rules = h; o.mu.Unlock() }
func (o *recorder) Attempt(h string, _ time.Duration, ok, retry bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, h+map[bool]string{true: " ok", false: " fail"}[ok]+map[bool]string{true: " retry", false: ""}[retry])
}
func (o *recorder) Finished(h string, givenUp bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, h+map[bool]string{true: " given up", false: " done"}[givenUp])
}
func (o *recorder) Queue(p, _ int) { o.mu.Lock(); o.pending = p; o.mu.Unlock() }

func (o *recorder) snapshot() (attempts, finished []string, pending int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.attempts...), append([]string(nil), o.finished...), o.pending
}

// The observer hears every rule at start, each attempt (retries marked),
// each run's end and the queue; the failure log line names the command
// with its event arguments, not only an id, and ends with its stderr.
func TestHookObserverAndFailureLog(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "flag")
	flaky := writeScript(t, dir, "flaky.sh", `[ -e `+flag+` ] || { touch `+flag+`; exit 3; }`)
	never := writeScript(t, dir, "never.sh", `echo first line >&2; echo "no route to dns" >&2; exit 1`)
	obs := &recorder{}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	r, err := New(Config{Rules: []Rule{{Event: "+x", Argv: []string{flaky, "--zone", "z"}}, {Event: "+x", Argv: []string{never}}},
		Journal: filepath.Join(dir, "j"), Backoff: 10 * time.Millisecond, MaxAttempts: 2, Observer: obs}, logger)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{flaky + " --zone z", never}; strings.Join(obs.rules, "|") != strings.Join(want, "|") {
		t.Fatalf("rules %q, want %q", obs.rules, want)
	}
	runInBackground(t, r)
	r.Handle(&event.Event{Kind: "+x", Master: "m", Text: "payload"})
	eventually(t, "both runs ended", func() bool { _, f, p := obs.snapshot(); return len(f) == 2 && p == 0 })
	attempts, finished, _ := obs.snapshot()
	want := map[string]bool{flaky + " --zone z fail": true, flaky + " --zone z ok retry": true, never + " fail": true, never + " fail retry": true}
	if len(attempts) != 4 {
		t.Fatalf("attempts %q", attempts)
	}
	for _, a := range attempts {
		if !want[a] {
			t.Errorf("unexpected attempt %q", a)
		}
	}
	if strings.Join(finished, "|") != flaky+" --zone z done|"+never+" given up" &&
		strings.Join(finished, "|") != never+" given up|"+flaky+" --zone z done" {
		t.Errorf("finished %q", finished)
	}
	logMu.Lock()
	text := logs.String()
	logMu.Unlock()
	for _, s := range []string{`msg="hook failed, will retry" command="` + flaky + ` --zone z +x payload"`,
		`msg="hook failed, given up" command="` + never + ` +x payload"`, "exit status 3", "max_attempts=2",
		`stderr="first line | no route to dns"`} {
		if !strings.Contains(text, s) {
			t.Errorf("log lacks %q:\n%s", s, text)
		}
	}
}

// The backoff doubles from Backoff up to BackoffMax, and MaxAttempts ends
// the retries.
func TestRetryPolicyConfigurable(t *testing.T) {
	r := &Runner{cfg: Config{Backoff: 2 * time.Second, BackoffMax: 5 * time.Second, MaxAttempts: 4}}
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 3: 5 * time.Second} {
		if d, again := r.retry(taskWith(n), noExit); !again || d != want {
			t.Errorf("after attempt %d: %v %v, want %v", n, d, again, want)
		}
	}
	if _, again := r.retry(taskWith(4), noExit); again {
		t.Error("retried after MaxAttempts")
	}
}

func TestConfigValidate(t *testing.T) {
	rules := []Rule{{Event: "*", Argv: []string{"/bin/true"}}}
	for _, c := range []Config{
		{Rules: rules},
		{Rules: rules, Journal: "j", MaxAttempts: -1},
		{Rules: rules, Journal: "j", Backoff: -time.Second},
		{Rules: rules, Journal: "j", Backoff: time.Minute, BackoffMax: time.Second},
		{Rules: []Rule{{Event: "*"}}, Journal: "j"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: accepted", c)
		}
	}
	c := Config{Rules: rules, Journal: "j"}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	d := c.withDefaults()
	if d.MaxAttempts != DefaultMaxAttempts || d.Backoff != DefaultBackoff || d.BackoffMax != DefaultBackoffMax ||
		d.Timeout != DefaultTimeout || d.Concurrency != DefaultConcurrency {
		t.Errorf("defaults %+v", d)
	}
}

// Scheduled shows a run waiting for its retry (delay, retries so far)
// and one running (its pid), as PENDING-SCRIPTS lists script jobs.
func TestScheduled(t *testing.T) {
	dir := t.TempDir()
	failing := writeScript(t, dir, "fail.sh", `exit 1`)
	slow := writeScript(t, dir, "slow.sh", `sleep 30`)
	r, _ := start(t, Config{Rules: []Rule{{Event: "*", Argv: []string{failing}}, {Event: "*", Argv: []string{slow}}},
		Journal: filepath.Join(dir, "j"), Backoff: time.Hour, BackoffMax: time.Hour})
	r.Handle(&event.Event{Kind: "+a", Master: "m"})
	eventually(t, "one waits, one runs", func() bool {
		s := r.Scheduled()
		return len(s) == 2 && !s[0].Running && s[0].Retries == 1 && s[1].Running && s[1].PID > 0
	})
	s := r.Scheduled()
	if s[0].RunDelay < 59*time.Minute || strings.Join(s[0].Argv, " ") != failing+" +a" || s[1].Retries != 0 {
		t.Fatalf("scheduled %+v", s)
	}
}

// A run journaled before runs named their hook is given its hook back
// from the rules, so it keeps its place in that hook's order.
func TestLegacyRunFindsItsHook(t *testing.T) {
	r := &Runner{cfg: Config{Rules: []Rule{{Event: "+sdown", Argv: []string{"/a", "x"}}, {Event: "+*", Argv: []string{"/b"}}}}}
	for _, c := range []struct {
		run  Run
		want string
	}{
		{Run{Event: "+switch-master", Argv: []string{"/b", "+switch-master", "m"}}, "/b"},
		{Run{Event: "+sdown", Argv: []string{"/a", "x", "+sdown", "master"}}, "/a x"},
		{Run{Event: "+sdown", Argv: []string{"/a", "+sdown"}}, ""},      // rule's argv changed since
		{Run{Event: "-odown", Argv: []string{"/b", "-odown", "m"}}, ""}, // no rule matches the event
	} {
		if got := r.legacyHook(&c.run); got != c.want {
			t.Errorf("%q: %q, want %q", c.run.Argv, got, c.want)
		}
	}
}
