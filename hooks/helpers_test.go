package hooks

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/qsentinel/qsentinel/procrun"
)

var noExit = procrun.Exit{Err: io.EOF}

func taskWith(attempts int) *procrun.Task { return &procrun.Task{Attempts: attempts} }

// runInBackground runs r until the test ends.
func runInBackground(t *testing.T, r *Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// lockedWriter lets a test read a log that goroutines write.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
