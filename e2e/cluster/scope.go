package cluster

import (
	"log"
	"os"
	"sync"
)

// Scope lets a program (the benchmark, a demo) use the harness without
// the testing package: it collects cleanups and runs them on Close, and a
// Fatalf or Skipf runs them before exiting, so no redis-server is left
// behind.
//
//	s := cluster.NewScope("bench")
//	defer s.Close()
//	c := cluster.New(s)
type Scope struct {
	name   string
	logger *log.Logger

	mu       sync.Mutex
	cleanups []func()
	failed   bool
}

// NewScope returns a scope that logs to stderr.
func NewScope(name string) *Scope {
	return &Scope{name: name, logger: log.New(os.Stderr, name+": ", log.LstdFlags)}
}

// Helper is a no-op; it exists to satisfy TB.
func (s *Scope) Helper() {}

// Name is the scope's name.
func (s *Scope) Name() string { return s.name }

// Logf logs a line.
func (s *Scope) Logf(format string, args ...any) { s.logger.Printf(format, args...) }

// Errorf logs and marks the scope failed.
func (s *Scope) Errorf(format string, args ...any) {
	s.mu.Lock()
	s.failed = true
	s.mu.Unlock()
	s.logger.Printf(format, args...)
}

// Fatalf logs, cleans up and exits with status 1.
func (s *Scope) Fatalf(format string, args ...any) {
	s.Errorf(format, args...)
	s.Close()
	os.Exit(1)
}

// Skipf logs, cleans up and exits with status 0.
func (s *Scope) Skipf(format string, args ...any) {
	s.logger.Printf("skipped: "+format, args...)
	s.Close()
	os.Exit(0)
}

// Cleanup registers f to run on Close, last registered first.
func (s *Scope) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// TempDir creates a directory removed on Close.
func (s *Scope) TempDir() string {
	d, err := os.MkdirTemp("", s.name+"-")
	if err != nil {
		s.Fatalf("temp dir: %v", err)
	}
	s.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// Failed reports whether Errorf or Fatalf was called.
func (s *Scope) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// Close runs the cleanups; calling it again does nothing.
func (s *Scope) Close() {
	for {
		s.mu.Lock()
		n := len(s.cleanups)
		if n == 0 {
			s.mu.Unlock()
			return
		}
		f := s.cleanups[n-1]
		s.cleanups = s.cleanups[:n-1]
		s.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.logger.Printf("cleanup panicked: %v", r)
				}
			}()
			f()
		}()
	}
}

var _ TB = (*Scope)(nil)
