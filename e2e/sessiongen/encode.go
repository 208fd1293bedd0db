package sessiongen

import (
	"fmt"
	"strings"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

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
