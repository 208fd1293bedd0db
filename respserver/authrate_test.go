package respserver

import (
	"strings"
	"testing"
	"time"
)

// Failed AUTHs beyond the server's pace wait for their turn, whichever
// connection sends them; the right password is answered at once even
// while a guesser waits; replies are redis's.
func TestAuthFailuresPaced(t *testing.T) {
	l := DefaultLimits()
	l.AuthFailRate, l.AuthFailBurst = 20, 5
	_, addr := startFakeServer(t, Config{RequirePass: "secret", Limits: l})
	guesser := dial(t, addr)
	const guesses = 15
	start := time.Now()
	go guesser.nc.Write([]byte(strings.Repeat(encode("AUTH", "wrong"), guesses)))
	// While the guesser waits, a client with the password is not slowed.
	time.Sleep(100 * time.Millisecond)
	ok := dial(t, addr)
	t0 := time.Now()
	if got := ok.do("AUTH", "secret"); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	if d := time.Since(t0); d > 100*time.Millisecond {
		t.Errorf("the right password took %v while a guesser was paced", d)
	}
	for i := range guesses {
		if got := guesser.readReply(); got != "-"+wrongPass+"\r\n" {
			t.Fatalf("guess %d: %q", i, got)
		}
	}
	// 5 at once, then 20 a second: the other 10 take half a second.
	if d := time.Since(start); d < 400*time.Millisecond {
		t.Errorf("%d failed AUTHs answered in %v; the pace allows 5 and then 20 a second", guesses, d)
	}
}
