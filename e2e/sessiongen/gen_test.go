package sessiongen

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func testTable(t *testing.T) *Table {
	tab, err := LoadTable("../../commandtable/data")
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// A seed is a session: the same bytes, split points and pauses every
// time, so a failing seed replays.
func TestGenerateIsDeterministic(t *testing.T) {
	tab := testTable(t)
	tgt := Target{Pair: "open", Master: "mymaster", MasterPort: 6379}
	for seed := int64(0); seed < 50; seed++ {
		a, b := Generate(tab, tgt, seed), Generate(tab, tgt, seed)
		if a.Marshal() != b.Marshal() {
			t.Fatalf("seed %d: two different sessions", seed)
		}
	}
}

// The text form reads back to the same writes and pauses.
func TestMarshalRoundTrip(t *testing.T) {
	tab := testTable(t)
	tgt := Target{Pair: "auth", Master: "authmaster", MasterPort: 6379, Users: map[string]string{"default": "secret"}}
	for seed := int64(0); seed < 50; seed++ {
		s := Generate(tab, tgt, seed)
		back, err := Unmarshal(s.Marshal("seed"))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if back.Pair != s.Pair || len(back.Steps) != len(s.Steps) || !bytes.Equal(back.Bytes(), s.Bytes()) {
			t.Fatalf("seed %d: round trip changed the session", seed)
		}
	}
}

// Commands that would stop a sentinel or change what it monitors are
// only sent in forms that are refused: SHUTDOWN always has "extra" for
// its first argument, FAILOVER/REMOVE/SET never name the monitored master.
var hexEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)

func TestDangerousCommandsAreDefused(t *testing.T) {
	tab := testTable(t)
	tgt := Target{Pair: "open", Master: "mymaster", MasterPort: 6379}
	shutdown := regexp.MustCompile(`shutdown['"]?(\r\n\$5\r\n|[ \t]+['"]?)extra`)
	named := regexp.MustCompile(`(failover|remove|set)['"]?(\r\n\$8\r\n|[ \t]+['"]?)mymaster`)
	seen := 0
	for seed := int64(0); seed < 3000; seed++ {
		wire := strings.ToLower(string(Generate(tab, tgt, seed).Bytes()))
		// Inline quoting may spell a letter as \xHH.
		wire = hexEscape.ReplaceAllStringFunc(wire, func(e string) string {
			b, _ := strconv.ParseUint(e[2:], 16, 8)
			return string(rune(b))
		})
		n := strings.Count(wire, "shutdown")
		seen += n
		if got := len(shutdown.FindAllString(wire, -1)); got != n {
			t.Fatalf("seed %d: %d SHUTDOWNs, %d with their refused first argument:\n%q", seed, n, got, wire)
		}
		if m := named.FindString(wire); m != "" {
			t.Fatalf("seed %d sends %q", seed, m)
		}
	}
	if seen == 0 {
		t.Fatal("no SHUTDOWN generated in 3000 sessions: the check checks nothing")
	}
}
