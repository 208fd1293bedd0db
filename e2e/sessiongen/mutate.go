package sessiongen

import (
	"fmt"
	"regexp"
	"strings"
)

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
