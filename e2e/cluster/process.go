package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Process is one child process (redis-server, redis-sentinel or ours)
// that can be killed, frozen and started again with the same arguments.
//
// Children run in their own process group, so a kill reaches anything
// they fork, and with PR_SET_PDEATHSIG, so the kernel kills them if the
// test binary dies without running its cleanups (a -timeout panic, a
// SIGKILL from CI): no redis-server outlives the test that started it.
type Process struct {
	Name string   // label in logs: "master", "ours-1", ...
	Path string   // executable
	Args []string // arguments after the executable
	Dir  string   // working directory

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{} // closed when the current run has exited
	state  *os.ProcessState
	log    *logBuffer
	starts int
}

// NewProcess prepares (but does not start) a process.
func NewProcess(name, path, dir string, args ...string) *Process {
	return &Process{Name: name, Path: path, Dir: dir, Args: args, log: newLogBuffer(logLimit)}
}

// Start runs the process. It is an error to start a running process.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil && !isClosed(p.done) {
		return fmt.Errorf("%s: already running (pid %d)", p.Name, p.cmd.Process.Pid)
	}
	cmd := exec.Command(p.Path, p.Args...)
	cmd.Dir = p.Dir
	cmd.Stdout, cmd.Stderr = p.log, p.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A grandchild (redis forks for replication) may hold the output pipe
	// open after the child died; do not let Wait block on it.
	cmd.WaitDelay = time.Second
	p.starts++
	fmt.Fprintf(p.log, "=== harness: start #%d: %s %s\n", p.starts, p.Path, strings.Join(p.Args, " "))
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.Name, p.Path, err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.state = cmd, done, nil
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		fmt.Fprintf(p.log, "=== harness: pid %d exited: %v\n", cmd.Process.Pid, errOrOK(err))
		close(done)
	}()
	return nil
}

func errOrOK(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// Pid is the pid of the current run (0 if never started).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the current run has not exited yet.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd != nil && !isClosed(p.done)
}

// Exited is closed when the current run exits.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		c := make(chan struct{})
		close(c)
		return c
	}
	return p.done
}

// ExitState is the state of the last finished run, nil while running.
func (p *Process) ExitState() *os.ProcessState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Signal sends sig to the whole process group of the current run.
func (p *Process) Signal(sig syscall.Signal) error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || isClosed(done) {
		return fmt.Errorf("%s: not running", p.Name)
	}
	fmt.Fprintf(p.log, "=== harness: %v to pid %d\n", sig, cmd.Process.Pid)
	// Negative pid: the group. Setpgid made the child its group leader.
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// Kill sends SIGKILL (kill -9) and waits until the process is gone, so
// that its port and files are free when Kill returns. Killing a process
// that is not running is a no-op.
func (p *Process) Kill() {
	done := p.Exited()
	if isClosed(done) {
		return
	}
	p.Signal(syscall.SIGKILL)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		// SIGKILL cannot be ignored; only an uninterruptible sleep in
		// the kernel gets here. Say so rather than hang the test.
		fmt.Fprintf(p.log, "=== harness: pid %d survived SIGKILL for 10s\n", p.Pid())
	}
}

// Freeze stops the process with SIGSTOP: its sockets stay open, so peers
// see a hung instance rather than a refused connection.
func (p *Process) Freeze() error { return p.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen process with SIGCONT.
func (p *Process) Thaw() error { return p.Signal(syscall.SIGCONT) }

// Logs returns the process's stdout and stderr so far (the tail if long),
// with harness markers for starts, signals and exits.
func (p *Process) Logs() string { return p.log.String() }

// Note appends a line to the process log, to line up test steps with
// what the process printed.
func (p *Process) Note(format string, args ...any) {
	fmt.Fprintf(p.log, "=== test: "+format+"\n", args...)
}

func isClosed(c <-chan struct{}) bool {
	if c == nil {
		return true
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// spawner is one goroutine locked to its OS thread that starts every
// child. PR_SET_PDEATHSIG fires when the *thread* that forked the child
// exits, not the process (golang/go#27505); Go may retire idle threads,
// so children are forked from a thread that lives as long as the binary.
var (
	spawnOnce sync.Once
	spawnReq  chan spawnRequest
)

type spawnRequest struct {
	cmd  *exec.Cmd
	errc chan error
}

func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReq = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not exit
			for r := range spawnReq {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawnReq <- spawnRequest{cmd, errc}
	return <-errc
}

// logLimit bounds what is kept of a process's output; the tail matters.
const logLimit = 256 << 10

// logBuffer collects output from several writers, keeping the last limit
// bytes.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	limit   int
	dropped int
}

func newLogBuffer(limit int) *logBuffer { return &logBuffer{limit: limit} }

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	if over := l.buf.Len() - l.limit; over > 0 {
		l.dropped += over
		l.buf.Next(over)
	}
	return len(b), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.dropped > 0 {
		return fmt.Sprintf("[... %d bytes dropped ...]\n%s", l.dropped, l.buf.String())
	}
	return l.buf.String()
}
