package respserver

import (
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/sentinel"
)

// pendingBackend lists fixed pending scripts.
type pendingBackend struct {
	*fakeBackend
	ps []sentinel.PendingScript
}

func (p pendingBackend) PendingScripts() []sentinel.PendingScript { return p.ps }

// PENDING-SCRIPTS keeps redis 7.0's five fields per job; a hook's entry
// (flags "running,hook" or "scheduled,hook") is shaped the same, its
// run-time shown while it runs.
func TestPendingScriptsShape(t *testing.T) {
	b := pendingBackend{fakeBackend: newFakeBackend(), ps: []sentinel.PendingScript{
		{Argv: []string{"/n.sh", "+sdown"}, Flags: "scheduled", RunDelay: 1500 * time.Millisecond, RetryCount: 1},
		{Argv: []string{"/h.sh"}, Flags: "running,hook", PID: 42, RunTime: 7 * time.Millisecond},
		{Argv: []string{"/h.sh"}, Flags: "scheduled,hook", RunDelay: 2 * time.Second, RetryCount: 3},
	}}
	_, addr := serve(t, Config{}, b, nil)
	got := dial(t, addr).do("SENTINEL", "PENDING-SCRIPTS")
	want := "*3\r\n" +
		"*10\r\n$4\r\nargv\r\n*2\r\n$5\r\n/n.sh\r\n$6\r\n+sdown\r\n$5\r\nflags\r\n$9\r\nscheduled\r\n$3\r\npid\r\n$1\r\n0\r\n" +
		"$9\r\nrun-delay\r\n$4\r\n1500\r\n$9\r\nretry-num\r\n$1\r\n1\r\n" +
		"*10\r\n$4\r\nargv\r\n*1\r\n$5\r\n/h.sh\r\n$5\r\nflags\r\n$12\r\nrunning,hook\r\n$3\r\npid\r\n$2\r\n42\r\n" +
		"$8\r\nrun-time\r\n$1\r\n7\r\n$9\r\nretry-num\r\n$1\r\n0\r\n" +
		"*10\r\n$4\r\nargv\r\n*1\r\n$5\r\n/h.sh\r\n$5\r\nflags\r\n$14\r\nscheduled,hook\r\n$3\r\npid\r\n$1\r\n0\r\n" +
		"$9\r\nrun-delay\r\n$4\r\n2000\r\n$9\r\nretry-num\r\n$1\r\n3\r\n"
	if got != want {
		t.Fatalf("reply\n%q\nwant\n%q", got, want)
	}
}
