package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// A frontend's port is the address clients of one dataset use, so it must
// not change when the set of masters does. Ports come, in this order, from
// the operator's pins (--frontend-port name=port, or a YAML master's
// haproxy_port), from the file being
// regenerated (--output: a frontend keeps the port it has there), and only
// then from the lowest free port at or after the base. Without --output
// nor pins the assignment is the name order it always was, and the
// generated file says which ports would move.

// portSource says where a frontend's port came from, for the header of the
// generated file.
type portSource string

const (
	portPinned   portSource = "pinned (--frontend-port, or haproxy_port in the YAML)"
	portKept     portSource = "kept from the existing file"
	portAssigned portSource = "assigned (next free port from the base)"
)

// frontendPorts is the write and read frontend port of each master.
type frontendPorts struct {
	write, read int
	source      portSource
}

// pinFlag collects repeated --frontend-port name=port options.
type pinFlag map[string]int

func (p pinFlag) String() string {
	var parts []string
	for n, port := range p {
		parts = append(parts, n+"="+strconv.Itoa(port))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Set takes "name=port", or several separated by commas.
func (p pinFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		name, portText, ok := strings.Cut(strings.TrimSpace(item), "=")
		port, err := strconv.Atoi(portText)
		if !ok || name == "" || err != nil || port < 1 || port > 65535 {
			return fmt.Errorf("%q: want master=port (port 1-65535)", item)
		}
		if old, dup := p[name]; dup && old != port {
			return fmt.Errorf("%s pinned twice (%d and %d)", name, old, port)
		}
		p[name] = port
	}
	return nil
}

// existingFrontends reads the frontend ports of a haproxy.cfg we generated
// earlier: each "frontend NAME" section's first "bind host:port". A missing
// file is no frontend.
func existingFrontends(path string) (map[string]int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("existing config: %w", err)
	}
	defer f.Close()
	return parseFrontends(f)
}

func parseFrontends(r io.Reader) (map[string]int, error) {
	out := map[string]int{}
	sc := bufio.NewScanner(r)
	current := ""
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch fields[0] {
		case "frontend":
			current = ""
			if len(fields) >= 2 {
				current = fields[1]
			}
		case "backend", "global", "defaults", "listen", "resolvers", "peers", "userlist", "program":
			current = ""
		case "bind":
			if current == "" || len(fields) < 2 {
				continue
			}
			if _, seen := out[current]; seen {
				continue
			}
			_, portText, err := net.SplitHostPort(fields[1])
			port, perr := strconv.Atoi(portText)
			if err == nil && perr == nil {
				out[current] = port
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("existing config: %w", err)
	}
	return out, nil
}

// readFrontend is the name of a master's read frontend.
func readFrontend(master string) string { return master + "_read" }

// readOffset is how far above its write port a master's read frontend is
// put when neither is pinned nor kept (the layout base+k / base+100+k).
const readOffset = 100

// assignPorts gives every master (names sorted) its frontend ports. Ports
// of frontends in existing that no master keeps are not handed out again in
// the same run: clients of a removed dataset must not land in a new one.
func assignPorts(names []string, base int, read bool, pins map[string]int, existing map[string]int) (map[string]frontendPorts, error) {
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	var unknown []string
	for n := range pins {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("--frontend-port names masters the config does not monitor: %s", strings.Join(unknown, ", "))
	}
	taken := map[int]string{} // port -> frontend
	take := func(port int, frontend string) error {
		if port < 1 || port > 65535 {
			return fmt.Errorf("frontend %s: port %d out of range", frontend, port)
		}
		if other, ok := taken[port]; ok && other != frontend {
			return fmt.Errorf("frontends %s and %s would both listen on port %d", other, frontend, port)
		}
		taken[port] = frontend
		return nil
	}
	out := map[string]frontendPorts{}
	// Pins first, then ports kept from the file, so that neither is
	// given away to a master assigned before it.
	for _, n := range names {
		if p, ok := pins[n]; ok {
			fp := frontendPorts{write: p, source: portPinned}
			if err := take(p, n); err != nil {
				return nil, err
			}
			if read {
				fp.read = p + readOffset
				if old, ok := existing[readFrontend(n)]; ok {
					fp.read = old
				}
				if err := take(fp.read, readFrontend(n)); err != nil {
					return nil, err
				}
			}
			out[n] = fp
		}
	}
	for _, n := range names {
		if _, done := out[n]; done {
			continue
		}
		if p, ok := existing[n]; ok {
			if err := take(p, n); err != nil {
				return nil, err
			}
			fp := frontendPorts{write: p, source: portKept}
			if read {
				if old, ok := existing[readFrontend(n)]; ok {
					if err := take(old, readFrontend(n)); err != nil {
						return nil, err
					}
					fp.read = old
				}
			}
			out[n] = fp
		}
	}
	// Ports of frontends that are gone stay reserved for this run.
	for frontend, p := range existing {
		if _, ok := taken[p]; !ok {
			taken[p] = frontend
		}
	}
	free := func(from int) (int, error) {
		for p := from; p <= 65535; p++ {
			if _, ok := taken[p]; !ok {
				return p, nil
			}
		}
		return 0, fmt.Errorf("no free frontend port at or above %d", from)
	}
	for _, n := range names {
		fp, done := out[n]
		if !done {
			p, err := free(base)
			if err != nil {
				return nil, err
			}
			taken[p] = n
			fp = frontendPorts{write: p, source: portAssigned}
		}
		if read && fp.read == 0 {
			want := fp.write + readOffset
			if _, busy := taken[want]; busy || want > 65535 {
				var err error
				if want, err = free(base + readOffset); err != nil {
					return nil, err
				}
			}
			taken[want] = readFrontend(n)
			fp.read = want
		}
		out[n] = fp
	}
	return out, nil
}
