//go:build linux

package eventloop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Read deadlines are looked at after a batch of events once checkEvery
// has passed since the last look, and at least every idleCheckEvery when
// nothing happens, so a deadline may pass by that much before its
// connection is closed. The links' deadlines are half of down-after or
// more, and down detection does not depend on them; a timer of its own at
// 10 Hz would wake the process for nothing most of the time.
const (
	checkEvery     = 100 * time.Millisecond
	idleCheckEvery = 500 * time.Millisecond
)

// wakeID and markID mark the eventfds in the epoll set (wake, and the
// caught-up marker); connections count from 1.
const (
	wakeID = 0
	markID = -1
)

// Loop is one epoll set and the goroutine (Run) that serves it.
type Loop struct {
	epfd   int
	wakefd int
	markfd int      // the caught-up marker (see poll)
	file   *os.File // epfd, parked on by Run through Go's poller
	raw    syscall.RawConn
	pollFn func(uintptr) bool

	stopping   atomic.Bool
	hasClosing atomic.Bool
	// wakePending: the wake descriptor has been written and not read yet,
	// so another wake has nothing to add. A mass failover's tick saw a
	// thousand refused redials, and each one's drop wrote it again.
	wakePending atomic.Bool
	caughtUp    atomic.Int64 // unix nanoseconds: see CaughtUp

	mu      sync.Mutex
	conns   map[int32]*Conn
	nextID  int32
	closing []closedConn
	ended   bool

	// Used by the loop goroutine only.
	events    []unix.EpollEvent
	buf       []byte
	scratch   []*Conn
	pollErr   error
	lastCheck time.Time
	markAt    time.Time // when the marker in flight was queued; zero: none

	tickWait func() time.Duration // set by Every before Run
	tickFn   func()
	nextTick time.Time // when tickFn is due; loop goroutine only
}

type closedConn struct {
	c   *Conn
	err error
}

// New makes a Loop; Run must be called for its connections to be served.
func New() (*Loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("eventloop: epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("eventloop: eventfd: %w", err)
	}
	markfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return nil, fmt.Errorf("eventloop: eventfd: %w", err)
	}
	closeAll := func() {
		unix.Close(epfd)
		unix.Close(wakefd)
		unix.Close(markfd)
	}
	l := &Loop{
		epfd:   epfd,
		wakefd: wakefd,
		markfd: markfd,
		conns:  map[int32]*Conn{},
		events: make([]unix.EpollEvent, 128),
		buf:    make([]byte, 64<<10),
	}
	for id, fd := range map[int32]int{wakeID: wakefd, markID: markfd} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: id}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			closeAll()
			return nil, fmt.Errorf("eventloop: add eventfd: %w", err)
		}
	}
	// A non-blocking descriptor handed to os.NewFile joins Go's poller, so
	// Run waits for the epoll set to become readable without holding a
	// thread in epoll_wait.
	if err := unix.SetNonblock(epfd, true); err != nil {
		closeAll()
		return nil, fmt.Errorf("eventloop: %w", err)
	}
	l.file = os.NewFile(uintptr(epfd), "eventloop")
	if l.raw, err = l.file.SyscallConn(); err == nil {
		// Fails when the descriptor did not join the poller.
		err = l.file.SetReadDeadline(time.Time{})
	}
	if err != nil {
		l.file.Close()
		unix.Close(wakefd)
		unix.Close(markfd)
		return nil, fmt.Errorf("eventloop: epoll descriptor not pollable: %w", err)
	}
	l.pollFn = func(uintptr) bool { return l.poll() }
	return l, nil
}

// Run serves the connections until ctx ends, then closes every one of them
// (their handlers get Closed(ErrClosed)) and the loop itself.
func (l *Loop) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		l.stopping.Store(true)
		l.wake()
	})
	defer stop()
	defer l.shutdown()
	if l.tickFn != nil {
		l.nextTick = time.Now().Add(l.tickWait())
	}
	for {
		wake := time.Now().Add(idleCheckEvery)
		if l.tickFn != nil && l.nextTick.Before(wake) {
			wake = l.nextTick
		}
		if err := l.file.SetReadDeadline(wake); err != nil {
			return fmt.Errorf("eventloop: %w", err)
		}
		err := l.raw.Read(l.pollFn)
		if l.stopping.Load() {
			return nil
		}
		if l.pollErr != nil {
			return fmt.Errorf("eventloop: epoll_wait: %w", l.pollErr)
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("eventloop: %w", err)
		}
		now := time.Now()
		if l.tickFn != nil && !now.Before(l.nextTick) {
			if err != nil {
				// The wait ended for the tick: what is ready now is
				// read first (a batch at most: poll yields to the
				// due tick), so that CaughtUp is current when the
				// loop was only waiting. (When poll itself yielded
				// to the tick, it has just read a batch.)
				l.poll()
				if l.pollErr != nil {
					return fmt.Errorf("eventloop: epoll_wait: %w", l.pollErr)
				}
			}
			l.tickFn()
			l.deliverClosed()
			l.nextTick = time.Now().Add(l.tickWait())
		}
		if now.Sub(l.lastCheck) >= checkEvery {
			l.expire(now)
		}
	}
}

// Every makes Run call f on the loop goroutine, wait() after it starts and
// then wait() after each call ends: a program's periodic work that sends
// on the loop's connections can run where their replies are read (redis
// runs its timer in its event loop the same way). f must not wait for
// anything the loop delivers. It must be called before Run.
func (l *Loop) Every(wait func() time.Duration, f func()) {
	l.tickWait, l.tickFn = wait, f
}

// poll handles whatever is ready; true ends the wait in Run.
func (l *Loop) poll() bool {
	for {
		asked := time.Now()
		n, err := unix.EpollWait(l.epfd, l.events, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			l.pollErr = err
			return true
		}
		for k := range n {
			ev := &l.events[k]
			if ev.Fd == wakeID {
				var b [8]byte
				unix.Read(l.wakefd, b[:])
				// Cleared after the read: a wake that saw it still
				// set had stored what it wakes for (closing,
				// stopping) before, and this batch's end looks at
				// both.
				l.wakePending.Store(false)
				continue
			}
			if ev.Fd == markID {
				// Every event ready before the marker was queued
				// came out of the set ahead of it and is handled.
				var b [8]byte
				unix.Read(l.markfd, b[:])
				l.caughtUpTo(l.markAt)
				l.markAt = time.Time{}
				continue
			}
			l.mu.Lock()
			c := l.conns[ev.Fd]
			l.mu.Unlock()
			if c != nil {
				c.service(ev.Events, l.buf)
			}
		}
		l.deliverClosed()
		if l.stopping.Load() {
			return true
		}
		if now := time.Now(); now.Sub(l.lastCheck) >= checkEvery {
			l.expire(now)
		}
		// A short batch means the set was empty; anything that turns
		// ready from now on makes the descriptor readable again.
		if n < len(l.events) {
			l.caughtUpTo(asked)
			return false
		}
		// A full batch: more may be ready, and more may keep coming
		// (a thousand links answering), so a short batch can be seconds
		// away. A marker queued behind what is ready now tells when
		// that is all read: epoll hands ready descriptors out in the
		// order they became ready.
		if l.markAt.IsZero() {
			l.markAt = time.Now()
			b := [8]byte{1}
			unix.Write(l.markfd, b[:])
		}
		// A full one: more is ready, but a due tick goes first, as
		// redis runs its timers after each batch of events. Under a
		// flood (thousands of links answering, a CPU shared with
		// others) batches kept coming for seconds and the tick, which
		// sends the PINGs and judges who is down, waited: instances
		// looked down for our own lateness. What stays ready is read
		// right after the tick.
		if l.tickFn != nil && !time.Now().Before(l.nextTick) {
			return true
		}
	}
}

// caughtUpTo moves CaughtUp forward to t.
func (l *Loop) caughtUpTo(t time.Time) {
	if ns := t.UnixNano(); ns > l.caughtUp.Load() {
		l.caughtUp.Store(ns)
	}
}

// CaughtUp is the last moment up to which everything that had come on
// the loop's connections has been read and handed to the handlers (zero
// before Run served a first batch). A program that judges peers by their
// silence can judge only up to here: what came later may be waiting in a
// socket, unread because the loop was busy or the process had no CPU.
func (l *Loop) CaughtUp() time.Time {
	ns := l.caughtUp.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// wake makes Run look at the closing list and at stopping; callers store
// what it is for first.
func (l *Loop) wake() {
	if !l.wakePending.CompareAndSwap(false, true) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ended {
		b := [8]byte{1}
		unix.Write(l.wakefd, b[:])
	}
}

func (l *Loop) deliverClosed() {
	if !l.hasClosing.Swap(false) {
		return
	}
	l.mu.Lock()
	list := l.closing
	l.closing = nil
	l.mu.Unlock()
	for _, cc := range list {
		cc.c.h.Closed(cc.err)
	}
}

// expire closes the connections whose read deadline has passed.
func (l *Loop) expire(now time.Time) {
	l.lastCheck = now
	ns := now.UnixNano()
	l.mu.Lock()
	for _, c := range l.conns {
		if d := c.deadline.Load(); d != 0 && d <= ns {
			l.scratch = append(l.scratch, c)
		}
	}
	l.mu.Unlock()
	for _, c := range l.scratch {
		// A busy loop may not have read yet what came in time: the
		// reply can sit in the socket behind a long tick or a full
		// batch of other events. Reading it first keeps a late read
		// from passing for a late reply; under CPU starvation at
		// thousands of links that mistake dropped good connections by
		// the thousand, and dialling them again fed the starvation.
		c.service(unix.EPOLLIN, l.buf)
		c.mu.Lock()
		// The deadline may have moved since the scan, or with the read.
		if d := c.deadline.Load(); d != 0 && d <= ns {
			c.closeLocked(ErrDeadline)
		}
		c.mu.Unlock()
	}
	clear(l.scratch)
	l.scratch = l.scratch[:0]
	l.deliverClosed()
}

func (l *Loop) shutdown() {
	l.mu.Lock()
	l.ended = true
	all := make([]*Conn, 0, len(l.conns))
	for _, c := range l.conns {
		all = append(all, c)
	}
	l.mu.Unlock()
	for _, c := range all {
		c.mu.Lock()
		c.closeLocked(ErrClosed)
		c.mu.Unlock()
	}
	l.deliverClosed()
	l.file.Close()
	unix.Close(l.wakefd)
	unix.Close(l.markfd)
}
