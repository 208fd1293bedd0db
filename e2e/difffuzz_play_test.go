package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
	"github.com/qsentinel/qsentinel/e2e/sessiongen"
)

// Liveness: a complete request must be answered within this long.
const (
	fuzzAnswerWithin = 200 * time.Millisecond
	// fuzzQuiet is how long both sides must have been silent, with the
	// same number of replies, before a sync point counts as settled.
	fuzzQuiet = 15 * time.Millisecond
	// fuzzLateGrace is how much longer a sync waits before a missing
	// reply is a difference rather than a late one.
	fuzzLateGrace = 2 * time.Second
)

// fuzzReply is one reply as read: decoded, and its bytes.
type fuzzReply struct {
	v   cluster.Value
	raw []byte
}

// fuzzSide is one connection of a session: what it received, and
// whether the server closed it.
type fuzzSide struct {
	name string
	nc   net.Conn
	norm func(cluster.Value) cluster.Value // masks this side's replies

	mu      sync.Mutex
	replies []fuzzReply
	closed  error // io.EOF, a reset, or a reply we could not parse
	last    time.Time
	done    chan struct{}
}

func dialSide(name, addr string) (*fuzzSide, error) {
	nc, err := net.DialTimeout("tcp", addr, cluster.DefaultTimeout)
	if err != nil {
		return nil, err
	}
	s := &fuzzSide{name: name, nc: nc, last: time.Now(), done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read collects replies until the connection ends; close stops it.
func (s *fuzzSide) read() {
	defer close(s.done)
	var rec bytes.Buffer
	r := cluster.NewReader(s.nc)
	r.Record = &rec
	for {
		rec.Reset()
		v, err := r.ReadValue()
		s.mu.Lock()
		s.last = time.Now()
		if err != nil {
			if rec.Len() > 0 && !errors.Is(err, net.ErrClosed) {
				err = fmt.Errorf("%w after %q", err, rec.Bytes())
			}
			s.closed = err
			s.mu.Unlock()
			return
		}
		s.replies = append(s.replies, fuzzReply{v, append([]byte(nil), rec.Bytes()...)})
		s.mu.Unlock()
	}
}

func (s *fuzzSide) close() {
	s.nc.Close()
	<-s.done
}

// state is what a sync point compares: how many replies, and closed or not.
func (s *fuzzSide) state() (n int, closed bool, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.replies), s.closed != nil, s.last
}

func (s *fuzzSide) describe() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := "open"
	if s.closed != nil {
		st = "closed (" + s.closed.Error() + ")"
	}
	return fmt.Sprintf("%d replies, connection %s", len(s.replies), st)
}

// fuzzResult is the outcome of one session.
type fuzzResult struct {
	compared int    // replies compared
	late     int    // sync points where one side answered after 200 ms
	diff     string // "" when both sides agree
}

// playSession sends the session byte for byte, with the same split points
// and pauses, to both sentinels at once, and compares what comes back:
// at every sync point both must have the same number of replies and the
// same connection state within fuzzAnswerWithin; at the end every reply
// must be the same after masking.
//
// A missing reply is a difference at once when the replies before it
// already differ, or when the session holds a request with a known
// difference (slow can only be told from wrong by waiting, which would
// cost two seconds in every such session); otherwise the lagging side
// gets fuzzLateGrace to catch up, and is counted late if it does.
func playSession(sess *sessiongen.Session, real, ours *fuzzSide, knownRequest bool) (res fuzzResult) {
	late := 0
	defer func() { res.late = late }()
	sync := func(where string) (fuzzResult, bool) {
		d := syncSides(real, ours)
		if d == "" {
			return fuzzResult{}, true
		}
		if r := compareReplies(real, ours); strings.HasPrefix(r.diff, "reply ") {
			return r, false
		}
		if !knownRequest && catchesUp(real, ours) {
			late++
			return fuzzResult{}, true
		}
		return livenessDiff("liveness "+where+": "+d, real, ours), false
	}
	sides := []*fuzzSide{real, ours}
	for i, st := range sess.Steps {
		switch st.Kind {
		case sessiongen.Send:
			for _, s := range sides {
				s.nc.SetWriteDeadline(time.Now().Add(time.Second))
				s.nc.Write(st.Data) // a refused write shows up as a closed side
			}
		case sessiongen.Sleep:
			time.Sleep(st.Pause)
		case sessiongen.Sync:
			if r, ok := sync(fmt.Sprintf("at step %d (sync)", i)); !ok {
				return r
			}
			if _, rc, _ := real.state(); rc {
				if _, oc, _ := ours.state(); oc {
					// Both closed: nothing more can happen.
					return compareReplies(real, ours)
				}
			}
		}
	}
	if r, ok := sync("at the end"); !ok {
		return r
	}
	return compareReplies(real, ours)
}

// syncSides waits until both sides have as many replies and the same
// connection state and have been quiet for fuzzQuiet, or fuzzAnswerWithin
// has passed; then a difference in count or state is a liveness
// difference.
func syncSides(real, ours *fuzzSide) string {
	start := time.Now()
	for {
		rn, rc, rl := real.state()
		on, oc, ol := ours.state()
		same := rn == on && rc == oc
		now := time.Now()
		if same && now.Sub(start) >= fuzzQuiet && now.Sub(rl) >= fuzzQuiet && now.Sub(ol) >= fuzzQuiet {
			return ""
		}
		if now.Sub(start) > fuzzAnswerWithin {
			if same {
				return ""
			}
			return fmt.Sprintf("after %v redis-sentinel has %s; ours has %s", fuzzAnswerWithin, real.describe(), ours.describe())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// catchesUp reports whether the side that is behind catches up within
// fuzzLateGrace: then it was slow (both servers share two cores with the
// rest of make test), not wrong. A reply held back until more bytes
// arrive (the bug of f3d9660) never catches up, because nothing more is
// sent while waiting.
func catchesUp(real, ours *fuzzSide) bool {
	deadline := time.Now().Add(fuzzLateGrace)
	for time.Now().Before(deadline) {
		rn, rc, _ := real.state()
		on, oc, _ := ours.state()
		if rn == on && rc == oc {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// livenessDiff reports a missing or extra reply, unless the replies both
// sides did send already differ: the first different reply is usually
// the cause, and what the known-differences list recognises.
func livenessDiff(d string, real, ours *fuzzSide) fuzzResult {
	res := compareReplies(real, ours)
	if res.diff == "" || !strings.HasPrefix(res.diff, "reply ") {
		res.diff = d
	}
	return res
}

func compareReplies(real, ours *fuzzSide) fuzzResult {
	real.mu.Lock()
	defer real.mu.Unlock()
	ours.mu.Lock()
	defer ours.mu.Unlock()
	res := fuzzResult{}
	n := min(len(real.replies), len(ours.replies))
	rn, on := unsubscribeOrder(real.replies[:n], real.norm), unsubscribeOrder(ours.replies[:n], ours.norm)
	for i := range n {
		res.compared++
		rv, ov := real.replies[i], ours.replies[i]
		want, got := rn[i], on[i]
		if want != got {
			res.diff = fmt.Sprintf("reply %d differs (- redis-sentinel, + ours):\n%s\nraw redis-sentinel: %s\nraw ours:           %s",
				i, shortLines(cluster.LineDiff(want, got)), quoteShort(rv.raw), quoteShort(ov.raw))
			return res
		}
	}
	if len(real.replies) != len(ours.replies) || (real.closed == nil) != (ours.closed == nil) {
		res.diff = fmt.Sprintf("redis-sentinel: %d replies, closed %v; ours: %d replies, closed %v",
			len(real.replies), real.closed, len(ours.replies), ours.closed)
	}
	return res
}

func quoteShort(b []byte) string {
	q := fmt.Sprintf("%q", b)
	if len(q) > 400 {
		return q[:300] + fmt.Sprintf("…(%d bytes)…", len(b)) + q[len(q)-60:]
	}
	return q
}

// replyLines renders both sides' replies for the transcript.
func replyLines(s *fuzzSide) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	for i, r := range s.replies {
		fmt.Fprintf(&b, "  %3d %s\n", i, quoteShort(r.raw))
	}
	if s.closed != nil {
		fmt.Fprintf(&b, "  closed: %v\n", s.closed)
	}
	return b.String()
}

// unsubscribeOrder normalizes the replies and sorts the channel names
// within each run of UNSUBSCRIBE/PUNSUBSCRIBE confirmations: without
// arguments redis unsubscribes in the order of its hash table, which is
// seeded at random per process, so only the set of channels and the
// sequence of counts can be compared.
func unsubscribeOrder(rs []fuzzReply, norm func(cluster.Value) cluster.Value) []string {
	out := make([]string, len(rs))
	for i := 0; i < len(rs); {
		kind := unsubKind(rs[i].v)
		if kind == "" {
			out[i] = norm(rs[i].v).Tree()
			i++
			continue
		}
		j := i
		var names []cluster.Value
		for j < len(rs) && unsubKind(rs[j].v) == kind {
			names = append(names, rs[j].v.Elems[1])
			j++
		}
		sort.Slice(names, func(a, b int) bool { return names[a].Str < names[b].Str })
		for k := i; k < j; k++ {
			v := rs[k].v
			v.Elems = []cluster.Value{v.Elems[0], names[k-i], v.Elems[2]}
			out[k] = norm(v).Tree()
		}
		i = j
	}
	return out
}

func unsubKind(v cluster.Value) string {
	if (v.Kind != cluster.Array && v.Kind != cluster.Push) || len(v.Elems) != 3 {
		return ""
	}
	if k := v.Elems[0].Str; k == "unsubscribe" || k == "punsubscribe" {
		return v.Kind.String() + k
	}
	return ""
}

// shortLines cuts the lines of a diff to a readable length (a 70 KB
// bulk is one line).
func shortLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if len(l) > 300 {
			lines[i] = l[:240] + fmt.Sprintf("…(%d bytes)…", len(l)) + l[len(l)-40:]
		}
	}
	return strings.Join(lines, "\n")
}
