package cpuprofile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A window that has not begun when it is stopped never begins: a process
// that ends early leaves no profile running behind its stop.
func TestStopBeforeStartStartsNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	stop := Window(path, 50*time.Millisecond, 0)
	stop()
	time.Sleep(150 * time.Millisecond)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("profile file after a stop before the window: %v", err)
	}
	// The CPU profiler is free: a new window can start.
	stop = Window(path, 0, 0)
	stop()
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("profile not written: %v", err)
	}
}

// The timer ends the window by itself.
func TestWindowEndsByItself(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	Window(path, 10*time.Millisecond, 60*time.Millisecond)
	deadline := time.Now().Add(2 * time.Second)
	for {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("profile not written when the window ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
