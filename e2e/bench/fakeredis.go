package main

// A stand-in for thousands of Redis masters, for the footprint benchmark
// only: one process listens on many loopback ports and answers just what a
// sentinel needs to watch a master (PING, INFO, ROLE, SUBSCRIBE/PUBLISH for
// hello messages, REPLICAOF and friends with +OK). Real redis-server
// processes cost about 8 MB each, which caps real topologies here at a few
// hundred; this lets both implementations be measured at 1,000 and 5,000
// masters to see how their cost grows per master.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// fakeChunk is how many fake masters one helper process serves: every
// master holds a listener and two links per sentinel, and a process may
// only open so many files.
const fakeChunk = 1000

type fakeMaster struct {
	port  int
	runID string

	mu   sync.Mutex
	subs map[string][]*fakeConn // channel -> subscribers
}

type fakeConn struct {
	nc net.Conn
	mu sync.Mutex // writes come from the reader and from publishers
	w  *bufio.Writer
}

func (c *fakeConn) write(b []byte) {
	c.mu.Lock()
	c.w.Write(b)
	c.w.Flush()
	c.mu.Unlock()
}

// serveFakeMasters listens on n fresh loopback ports, prints them on one
// line of stdout and serves until stdin closes (its parent went away).
func serveFakeMasters(n int) error {
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		id := make([]byte, 20)
		rand.Read(id)
		m := &fakeMaster{port: l.Addr().(*net.TCPAddr).Port, runID: hex.EncodeToString(id), subs: map[string][]*fakeConn{}}
		ports = append(ports, strconv.Itoa(m.port))
		go func() {
			for {
				nc, err := l.Accept()
				if err != nil {
					return
				}
				go m.serve(nc)
			}
		}()
	}
	fmt.Println(strings.Join(ports, " "))
	io.Copy(io.Discard, os.Stdin)
	return nil
}

func (m *fakeMaster) serve(nc net.Conn) {
	c := &fakeConn{nc: nc, w: bufio.NewWriterSize(nc, 512)}
	defer func() {
		m.mu.Lock()
		for ch, list := range m.subs {
			for i, s := range list {
				if s == c {
					m.subs[ch] = append(list[:i:i], list[i+1:]...)
					break
				}
			}
		}
		m.mu.Unlock()
		nc.Close()
	}()
	r := bufio.NewReaderSize(nc, 1024)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		if len(args) == 0 {
			continue
		}
		switch strings.ToUpper(args[0]) {
		case "PING":
			c.write([]byte("+PONG\r\n"))
		case "INFO":
			c.write(bulk(m.info()))
		case "ROLE":
			c.write([]byte("*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n"))
		case "SUBSCRIBE":
			for i, ch := range args[1:] {
				m.mu.Lock()
				m.subs[ch] = append(m.subs[ch], c)
				m.mu.Unlock()
				c.write(fmt.Appendf(nil, "*3\r\n$9\r\nsubscribe\r\n%s:%d\r\n", bulk(ch), i+1))
			}
		case "PUBLISH":
			if len(args) != 3 {
				c.write([]byte("-ERR wrong number of arguments for 'publish' command\r\n"))
				continue
			}
			msg := fmt.Appendf(nil, "*3\r\n$7\r\nmessage\r\n%s%s", bulk(args[1]), bulk(args[2]))
			m.mu.Lock()
			subs := append([]*fakeConn(nil), m.subs[args[1]]...)
			m.mu.Unlock()
			for _, s := range subs {
				s.write(msg)
			}
			c.write(fmt.Appendf(nil, ":%d\r\n", len(subs)))
		case "HELLO":
			// As a pre-6 server would: clients fall back to AUTH and
			// CLIENT SETNAME (go-redis sends HELLO first).
			c.write([]byte("-ERR unknown command 'HELLO'\r\n"))
		case "MULTI":
			c.write([]byte("+OK\r\n"))
		case "EXEC":
			c.write([]byte("*0\r\n"))
		default: // AUTH, CLIENT, REPLICAOF, SLAVEOF, CONFIG, SCRIPT, ...
			c.write([]byte("+OK\r\n"))
		}
	}
}

func (m *fakeMaster) info() string {
	return "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nrun_id:" + m.runID +
		"\r\ntcp_port:" + strconv.Itoa(m.port) +
		"\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\n" +
		"master_replid:" + m.runID + "\r\nmaster_replid2:0000000000000000000000000000000000000000\r\n" +
		"master_repl_offset:0\r\nsecond_repl_offset:-1\r\n"
}

func bulk(s string) []byte {
	return fmt.Appendf(nil, "$%d\r\n%s\r\n", len(s), s)
}

// readCommand reads one RESP array of bulk strings or one inline command.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n > 1024 {
		return nil, errors.New("bad multibulk length")
	}
	args := make([]string, 0, n)
	for range n {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(h, "$") {
			return nil, errors.New("expected bulk")
		}
		l, err := strconv.Atoi(strings.TrimRight(h[1:], "\r\n"))
		if err != nil || l < 0 || l > 1<<20 {
			return nil, errors.New("bad bulk length")
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		args = append(args, string(b[:l]))
	}
	return args, nil
}

// fakeFleet is a set of helper processes serving fake masters.
type fakeFleet struct {
	procs []*exec.Cmd
	stdin []io.Closer
	ports []int
}

// startFakeFleet starts ceil(n/fakeChunk) copies of this program in
// fake-redis mode and collects the ports they serve.
func startFakeFleet(n int) (*fakeFleet, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	f := &fakeFleet{}
	for left := n; left > 0; left -= fakeChunk {
		k := min(left, fakeChunk)
		cmd := exec.Command(exe, "-mode", "fake-redis", "-masters", strconv.Itoa(k))
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			f.stop()
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			f.stop()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			f.stop()
			return nil, err
		}
		f.procs = append(f.procs, cmd)
		f.stdin = append(f.stdin, in)
		line, err := bufio.NewReaderSize(out, 64<<10).ReadString('\n')
		if err != nil {
			f.stop()
			return nil, fmt.Errorf("fake redis helper: %w", err)
		}
		for _, p := range strings.Fields(line) {
			port, _ := strconv.Atoi(p)
			f.ports = append(f.ports, port)
		}
	}
	return f, nil
}

func (f *fakeFleet) stop() {
	for _, in := range f.stdin {
		in.Close()
	}
	for _, p := range f.procs {
		syscall.Kill(-p.Process.Pid, syscall.SIGKILL)
		p.Wait()
	}
}
