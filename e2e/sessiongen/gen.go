package sessiongen

import (
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// Target is what the generated requests talk about: the pair's master,
// and the users of the pair ("auth": requirepass and user lines; none for
// the open pair).
type Target struct {
	Pair       string
	Master     string
	MasterPort int
	// Users maps user names to passwords; "default" is requirepass.
	Users map[string]string
	// Rare, if set, names requests (by their readable form) that are
	// drawn four times less often: those with known differences.
	Rare func(desc string) bool
}

// gen holds the state of one session being generated.
type gen struct {
	tab     *Table
	r       *rand.Rand
	tgt     Target
	mutated bool // a mutated request went out: no dangerous command after it
	used    []string
}

// request is one request as bytes, with the readable form the transcript
// shows.
type request struct {
	data    []byte
	desc    string
	settle  bool // always wait for the replies after it
	lastOne bool // nothing may follow it (it waits for data)
}

// Generate makes one session from seed.
func Generate(tab *Table, tgt Target, seed int64) *Session {
	g := &gen{tab: tab, r: rand.New(rand.NewSource(seed)), tgt: tgt}
	var reqs []request
	if len(tgt.Users) > 0 && g.r.Intn(5) > 0 {
		reqs = append(reqs, g.encode(g.authRequest(), false))
	}
	if g.r.Intn(3) == 0 {
		reqs = append(reqs, g.encode([]string{"HELLO", "3"}, false))
	}
	n := 2 + g.r.Intn(18)
	for range n {
		reqs = append(reqs, g.request())
		if g.r.Intn(12) == 0 {
			line := pick(g.r, emptyLines)
			// A lone CR turns the next multibulk request into inline
			// lines ("\r*2", "$8", "SHUTDOWN"): no dangerous command may
			// follow it.
			g.mutated = g.mutated || line == "\r"
			reqs = append(reqs, request{data: []byte(line), desc: "(empty line)"})
		}
	}
	if g.r.Intn(6) == 0 {
		reqs = append(reqs, g.special())
	}
	s := g.wire(reqs)
	s.Commands = g.used
	return s
}

var emptyLines = []string{"\r\n", "\n", "\r\n\r\n", " \r\n", "\t\n", "\r"}

// request picks what comes next: mostly a command from the table, and
// the pub/sub and connection commands whose state changes the replies
// of the commands after them.
func (g *gen) request() request {
	switch g.r.Intn(20) {
	case 0, 1:
		return g.encodeMaybeMutated(g.pubsubRequest())
	case 2:
		if len(g.tgt.Users) > 0 {
			return g.encodeMaybeMutated(g.authRequest())
		}
	}
	for {
		args, name := g.command()
		if excluded[name] {
			continue
		}
		if dangerous[name] {
			if g.mutated {
				continue
			}
			g.used = append(g.used, name)
			return g.encode(args, true)
		}
		if name == "quit" && g.r.Intn(4) > 0 {
			continue // ends the session: rarely
		}
		if g.tgt.Rare != nil && g.tgt.Rare(strings.Join(args, " ")) && g.r.Intn(4) > 0 {
			continue
		}
		g.used = append(g.used, name)
		return g.encodeMaybeMutated(args)
	}
}

// command draws a command of the table with its arguments; name is the
// table entry ("sentinel|master").
func (g *gen) command() (args []string, name string) {
	c := pick(g.r, g.tab.Commands)
	words := []string{g.cased(c.Name)}
	if len(c.Subs) > 0 {
		if g.r.Intn(16) == 0 {
			// No subcommand, or one that does not exist.
			if g.r.Intn(2) == 0 {
				words = append(words, pick(g.r, []string{"FOO", "", "help|x", "help"}))
			}
			return words, c.Name + "|?"
		}
		c = pick(g.r, c.Subs)
		words = append(words, g.cased(c.Words()[1]))
	}
	args = g.args(c.Args)
	// Arity: too few or too many now and then.
	switch g.r.Intn(12) {
	case 0:
		if len(args) > 0 {
			args = args[:len(args)-1]
		}
	case 1:
		args = append(args, "extra")
	}
	if dangerous[c.Name] {
		args = sanitize(c.Name, args)
	}
	return append(words, args...), c.Name
}

func (g *gen) pubsubRequest() []string {
	switch g.r.Intn(5) {
	case 0:
		return []string{"SUBSCRIBE", "ch1", pick(g.r, []string{"ch2", "ch1", "+sdown"})}
	case 1:
		return []string{"PSUBSCRIBE", pick(g.r, []string{"*", "ch*", "+*"})}
	case 2:
		return []string{"UNSUBSCRIBE"}
	case 3:
		return []string{"PUNSUBSCRIBE", pick(g.r, []string{"*", "nosuch"})}
	}
	return []string{"PUBLISH", "ch1", "hello"}
}

// authRequest is an AUTH or HELLO ... AUTH of the auth pair's users, right
// or wrong.
func (g *gen) authRequest() []string {
	user := pick(g.r, []string{"default", "alice", "bob", "nosuch"})
	pass := g.tgt.Users[user]
	if pass == "" || g.r.Intn(4) == 0 {
		pass = "wrong"
	}
	switch g.r.Intn(5) {
	case 0:
		return []string{"AUTH", pass}
	case 1:
		return []string{"AUTH", user, pass}
	case 2:
		return []string{"HELLO", pick(g.r, []string{"2", "3"}), "AUTH", user, pass}
	case 3:
		return []string{"HELLO", pick(g.r, []string{"2", "3"}), "AUTH", user, pass, "SETNAME", "fuzz"}
	}
	return []string{"AUTH", g.tgt.Users["default"]}
}

// special requests probe the protocol limits; each is the last request
// of its session because the server waits for more data or closes.
func (g *gen) special() request {
	var b []byte
	switch g.r.Intn(9) {
	case 0:
		b = []byte("*1\r\n$536870912\r\n")
	case 1:
		b = []byte("*1048577\r\n")
	case 2:
		b = []byte("*2147483648\r\n")
	case 3:
		b = []byte("PING " + strings.Repeat("x", 70*1024) + "\r\n")
	case 4:
		b = []byte(strings.Repeat("a", 66*1024))
	case 5:
		b = []byte("*1\r\n$4\r\nPING")
	case 6:
		b = []byte("*" + strings.Repeat("1", 66*1024))
	case 7:
		b = []byte("*11\r\n")
	default:
		b = []byte("*1\r\n$" + strings.Repeat("9", 20) + "\r\n")
	}
	return request{data: b, desc: "(limit) " + short(b), settle: true, lastOne: true}
}

// encode writes args as a multibulk request or an inline line.
func (g *gen) encode(args []string, clean bool) request {
	desc := strings.Join(args, " ")
	if !clean && g.r.Intn(3) == 0 || clean && g.r.Intn(5) == 0 && inlineSafe(args) {
		return request{data: g.inline(args), desc: "inline: " + short([]byte(desc))}
	}
	return request{data: cluster.AppendCommand(nil, args...), desc: short([]byte(desc))}
}

// inlineSafe: the args survive an inline line unchanged.
func inlineSafe(args []string) bool {
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\r\n\"'\\\x00") {
			return false
		}
	}
	return true
}

func (g *gen) inline(args []string) []byte {
	var b strings.Builder
	if g.r.Intn(10) == 0 {
		b.WriteString(pick(g.r, []string{" ", "\t", "  "}))
	}
	for i, a := range args {
		if i > 0 {
			b.WriteString(pick(g.r, []string{" ", " ", " ", "  ", "\t"}))
		}
		b.WriteString(g.quote(a))
	}
	b.WriteString(pick(g.r, []string{"\r\n", "\r\n", "\n"}))
	return []byte(b.String())
}

// quote writes one inline argument: bare, "double quoted" with escapes,
// or 'single quoted', as sdssplitargs reads them.
func (g *gen) quote(a string) string {
	plain := a != "" && !strings.ContainsAny(a, " \t\r\n\v\f\"'\\\x00")
	if plain && g.r.Intn(8) > 0 {
		return a
	}
	if !strings.ContainsAny(a, "'\\") && plain && g.r.Intn(2) == 0 {
		return "'" + a + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f || g.r.Intn(30) == 0:
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

var lengthRe = regexp.MustCompile(`[*$][0-9]+`)

// mutations break the framing or the quoting of one request.
var headerValues = []string{"+1", "01", "-0", "-1", "0", "1048577", "2147483648", "9223372036854775808", "", "x", "1 ", " 1"}

func (g *gen) encodeMaybeMutated(args []string) request {
	req := g.encode(args, false)
	if g.r.Intn(8) > 0 {
		return req
	}
	g.mutated = true
	b := req.data
	pos := g.r.Intn(len(b) + 1)
	var what string
	switch g.r.Intn(7) {
	case 0:
		ins := pick(g.r, []string{"\r\n", "\n", "\r", "\x00", " ", "\r\r\n"})
		b = append(b[:pos:pos], append([]byte(ins), b[pos:]...)...)
		what = fmt.Sprintf("insert %q at %d", ins, pos)
	case 1:
		if pos < len(b) {
			what = fmt.Sprintf("delete %q at %d", b[pos], pos)
			b = append(b[:pos:pos], b[pos+1:]...)
		}
	case 2:
		locs := lengthRe.FindAllIndex(b, -1)
		if len(locs) > 0 {
			l := pick(g.r, locs)
			v := pick(g.r, headerValues)
			what = fmt.Sprintf("length %q -> %q", b[l[0]:l[1]], string(b[l[0]])+v)
			b = append(append(append([]byte{}, b[:l[0]+1]...), v...), b[l[1]:]...)
		}
	case 3:
		q := pick(g.r, []string{`"`, `'`, `"a"b`, `'x'y`, `"\x4`, `"\x41"`, `"a\`})
		line := []byte(strings.Join(args, " ") + " " + q + "\r\n")
		b, what = line, "inline with "+q
	case 4:
		b = append(b, b...)
		what = "twice"
	case 5:
		if pos < len(b) {
			c := byte(g.r.Intn(256))
			what = fmt.Sprintf("byte %d: %q -> %q", pos, b[pos], c)
			b = append([]byte{}, b...)
			b[pos] = c
		}
	default:
		b = append([]byte(pick(g.r, emptyLines)), b...)
		what = "empty line first"
	}
	req.data = b
	req.desc += "  [mutated: " + what + "]"
	return req
}

// wire lays the requests out as writes: a request is split at random
// byte offsets with short pauses between the pieces; between requests the
// player either goes on (a pipeline) or waits for the replies (sync).
func (g *gen) wire(reqs []request) *Session {
	s := &Session{Pair: g.tgt.Pair}
	var pending []byte
	flush := func() {
		if len(pending) > 0 {
			s.Steps = append(s.Steps, Step{Kind: Send, Data: pending})
			pending = nil
		}
	}
	for i, rq := range reqs {
		s.Requests = append(s.Requests, rq.desc)
		data := rq.data
		if g.r.Intn(3) == 0 && len(data) > 1 {
			cuts := 1 + g.r.Intn(3)
			for range cuts {
				if len(data) < 2 {
					break
				}
				at := 1 + g.r.Intn(len(data)-1)
				pending = append(pending, data[:at]...)
				flush()
				s.Steps = append(s.Steps, Step{Kind: Sleep, Pause: time.Duration(g.r.Intn(4)) * time.Millisecond})
				data = data[at:]
			}
		}
		pending = append(pending, data...)
		switch {
		case rq.settle || rq.lastOne || i == len(reqs)-1 || g.r.Intn(5) < 2:
			flush()
			s.Steps = append(s.Steps, Step{Kind: Sync})
		case g.r.Intn(4) == 0:
			flush()
			s.Steps = append(s.Steps, Step{Kind: Sleep, Pause: time.Millisecond})
		}
		if rq.lastOne {
			break
		}
	}
	flush()
	return s
}

func short(b []byte) string {
	q := strconv.Quote(string(b))
	if len(q) > 120 {
		return q[:80] + fmt.Sprintf("…(%d bytes)", len(b))
	}
	return q
}
