package sessiongen

import (
	"math/rand"
	"strings"
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
