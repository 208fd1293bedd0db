package hooks

import (
	"strings"
	"sync"
)

// stderrTail keeps the end of what an attempt wrote on stderr, for the
// failure's log line: a hook that fails says why where the operator
// looks, not in a terminal nobody watches.
type stderrTail struct {
	mu  sync.Mutex // exec copies the pipe from its own goroutine
	buf []byte
}

// stderrKeep is how much of the end is kept.
const stderrKeep = 512

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - stderrKeep; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String is the kept end, trimmed, its lines joined by " | ".
func (t *stderrTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	return strings.Join(lines, " | ")
}
