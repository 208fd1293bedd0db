// Package sessiongen generates client sessions for the differential fuzzer:
// byte streams of RESP2, RESP3 and inline requests, split at random points
// and delivered with pauses, drawn from redis-sentinel's own command table.
// A session is plain data with a text form, so a session that showed a
// difference can be committed and replayed byte for byte.
package sessiongen

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StepKind says what one step of a session does.
type StepKind int

// The steps of a session.
const (
	// Send writes Data to the connection.
	Send StepKind = iota + 1
	// Sleep waits Pause before the next step: a split point inside a
	// request, or between pipelined requests.
	Sleep
	// Sync waits until both servers have answered what they were sent
	// (or 200 ms have passed): the liveness check.
	Sync
)

// Step is one action of a session.
type Step struct {
	Kind  StepKind
	Data  []byte
	Pause time.Duration
}

// Session is what one client connection sends, on which pair of
// sentinels (Pair: "open", or "auth" for the pair with requirepass and
// user lines).
type Session struct {
	Pair  string
	Steps []Step
	// Requests are the requests the generator meant to send, for the
	// transcript only: mutations may merge or split them on the wire.
	Requests []string
	// Commands are the command table entries drawn ("sentinel|master"),
	// for the coverage report.
	Commands []string
}

// Bytes is everything the session sends.
func (s *Session) Bytes() []byte {
	var out []byte
	for _, st := range s.Steps {
		out = append(out, st.Data...)
	}
	return out
}

// Marshal writes the session in its text form: a "pair" line, then one
// line per step ("send" and a Go-quoted string, "sleep 3ms", "sync";
// hand-written files may also say "sendrep 70000 \"x\""). Lines starting
// with '#' are comments.
func (s *Session) Marshal(comments ...string) string {
	var b strings.Builder
	for _, c := range comments {
		for _, l := range strings.Split(c, "\n") {
			b.WriteString("# " + l + "\n")
		}
	}
	fmt.Fprintf(&b, "pair %s\n", s.Pair)
	for _, st := range s.Steps {
		switch st.Kind {
		case Send:
			fmt.Fprintf(&b, "send %s\n", strconv.Quote(string(st.Data)))
		case Sleep:
			fmt.Fprintf(&b, "sleep %s\n", st.Pause)
		case Sync:
			b.WriteString("sync\n")
		}
	}
	return b.String()
}

// Unmarshal reads the text form written by Marshal.
func Unmarshal(text string) (*Session, error) {
	s := &Session{Pair: "open"}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "pair":
			s.Pair = rest
		case "send":
			data, err := strconv.Unquote(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: send: %w", n, err)
			}
			s.Steps = append(s.Steps, Step{Kind: Send, Data: []byte(data)})
		case "sendrep":
			// "sendrep N <quoted>": the bytes N times, for the long lines
			// of hand-written sessions.
			count, q, _ := strings.Cut(rest, " ")
			k, err := strconv.Atoi(count)
			if err != nil || k < 0 {
				return nil, fmt.Errorf("line %d: sendrep count %q", n, count)
			}
			data, err := strconv.Unquote(q)
			if err != nil {
				return nil, fmt.Errorf("line %d: sendrep: %w", n, err)
			}
			s.Steps = append(s.Steps, Step{Kind: Send, Data: []byte(strings.Repeat(data, k))})
		case "sleep":
			d, err := time.ParseDuration(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: sleep: %w", n, err)
			}
			s.Steps = append(s.Steps, Step{Kind: Sleep, Pause: d})
		case "sync":
			s.Steps = append(s.Steps, Step{Kind: Sync})
		default:
			return nil, fmt.Errorf("line %d: unknown step %q", n, word)
		}
	}
	// Writes with no pause between them are one write: "send" and
	// "sendrep" lines can build one packet.
	var merged []Step
	for _, st := range s.Steps {
		if n := len(merged); n > 0 && st.Kind == Send && merged[n-1].Kind == Send {
			merged[n-1].Data = append(merged[n-1].Data, st.Data...)
			continue
		}
		merged = append(merged, st)
	}
	s.Steps = merged
	return s, sc.Err()
}

// Transcript renders the session for a human: each write with the split
// points and pauses between them.
func (s *Session) Transcript() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pair %s; requests as generated:\n", s.Pair)
	for i, r := range s.Requests {
		fmt.Fprintf(&b, "  %3d %s\n", i, r)
	}
	b.WriteString("wire (| = split point):\n")
	for _, st := range s.Steps {
		switch st.Kind {
		case Send:
			q := strconv.Quote(string(st.Data))
			if len(q) > 300 {
				q = q[:150] + fmt.Sprintf("…(%d bytes)…", len(st.Data)) + q[len(q)-100:]
			}
			fmt.Fprintf(&b, "  send %s\n", q)
		case Sleep:
			fmt.Fprintf(&b, "  | sleep %s\n", st.Pause)
		case Sync:
			b.WriteString("  | sync (wait for replies, 200 ms at most)\n")
		}
	}
	return b.String()
}
