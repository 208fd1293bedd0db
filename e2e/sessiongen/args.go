package sessiongen

import (
	"math/rand"
	"strconv"
	"strings"
)

// boundary values replace a generated argument now and then: the
// numbers and strings where parsers disagree.
var boundary = []string{
	"0", "-1", "1", "+1", "01", "-0", " 1", "1 ", "1e3", "0x10", "abc", "",
	"2147483647", "2147483648", "-2147483649",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"99999999999999999999999", "*", "?", "\x00", "a\x00b", "\r\n", "\n", "has space",
	"\"", "'", "\\", "\xff\xfe", "é",
}

// valuesByName are realistic values for documented argument names; the
// target's master name and port are added by the generator.
var valuesByName = map[string][]string{
	"ip":              {"127.0.0.1", "::1", "not..an..ip", "localhost", "", "256.1.1.1"},
	"quorum":          {"1", "2", "0", "-1", "abc"},
	"current-epoch":   {"0", "1", "18446744073709551616", "x"},
	"runid":           {"*"},
	"connection-name": {"ok", "has space", "", "a\nb", "x-1"},
	"clientname":      {"ok", "has space", ""},
	"channel":         {"ch1", "ch2", "__sentinel__:hello", "+sdown", ""},
	"pattern":         {"*", "ch*", "+*", "[a-", "\\*"},
	"message":         {"hi", "", "x y"},
	"section":         {"sentinel", "server", "clients", "all", "everything", "default", "nosuch", "SENTINEL", "cpu"},
	"protover":        {"2", "3", "4", "1", "x", "-1", ""},
	"username":        {"default", "alice", "bob", "nosuch", ""},
	"password":        {"secret", "alicepw", "bobpw", "wrong", ""},
	"command-name":    {"ping", "sentinel", "get", "nosuch", "client|kill", "SENTINEL|MASTER"},
	"category":        {"connection", "admin", "pubsub", "nosuch", "@all"},
	"client-id":       {"999999999", "0", "-1", "x"},
	"timeout":         {"-1", "abc", "0"},
	"ip:port":         {"1.2.3.4:5", "127.0.0.1:1", "nosuch", ""},
	"yes/no":          {"yes", "no", "maybe"},
	"parameter":       {"nosuch", "resolve-hostnames", "announce-hostnames", "announce-ip", "announce-port"},
	"value":           {"yes", "no", "maybe", "1", ""},
	"option":          {"quorum", "down-after-milliseconds", "nosuchopt"},
	"count":           {"1", "0", "-1", "x"},
	"arg":             {"x", "ping"},
	"lib-name":        {"redis-py", "has space"},
}

// value makes one argument of a documented kind, mostly valid, sometimes
// a boundary value.
func (g *gen) value(a Arg) string {
	if g.r.Intn(8) == 0 {
		return pick(g.r, boundary)
	}
	if g.r.Intn(60) == 0 {
		return g.longString()
	}
	switch a.Name {
	case "master-name", "name":
		return pick(g.r, []string{g.tgt.Master, g.tgt.Master, "nosuch", strings.ToUpper(g.tgt.Master)})
	case "port":
		return pick(g.r, []string{strconv.Itoa(g.tgt.MasterPort), "0", "65536", "abc", "-1"})
	}
	if vs, ok := valuesByName[a.Name]; ok {
		return pick(g.r, vs)
	}
	switch a.Type {
	case "integer", "unix-time":
		return pick(g.r, []string{"1", "0", "-1", "100", "abc"})
	case "double":
		return pick(g.r, []string{"1.5", "0", "inf", "nan", "x"})
	case "pattern":
		return pick(g.r, valuesByName["pattern"])
	}
	return pick(g.r, []string{"x", "", "has space", "*", "foo"})
}

// longString is longer than redis's inline limit (64 KiB) or a line of
// its, sometimes, to reach the length checks.
func (g *gen) longString() string {
	n := pick(g.r, []int{1000, 16 * 1024, 65536 - 10, 70 * 1024})
	return strings.Repeat(string(rune('a'+g.r.Intn(26))), n)
}

// args expands a documented argument list.
func (g *gen) args(list []Arg) []string {
	var out []string
	for _, a := range list {
		if a.Optional && g.r.Intn(2) == 0 {
			continue
		}
		n := 1
		if a.Multiple {
			n = 1 + g.r.Intn(3)
		}
		for range n {
			out = append(out, g.arg(a)...)
		}
	}
	return out
}

func (g *gen) arg(a Arg) []string {
	var out []string
	if a.Token != "" && a.Type != "pure-token" {
		out = append(out, g.cased(a.Token))
	}
	switch a.Type {
	case "pure-token":
		t := a.Token
		if t == "" {
			t = a.Name
		}
		out = append(out, g.cased(t))
	case "oneof":
		if len(a.Args) > 0 {
			out = append(out, g.arg(a.Args[g.r.Intn(len(a.Args))])...)
		}
	case "block":
		out = append(out, g.args(a.Args)...)
	default:
		out = append(out, g.value(a))
	}
	return out
}

// cased returns a command word in the case a client might use.
func (g *gen) cased(s string) string {
	switch g.r.Intn(6) {
	case 0:
		return strings.ToLower(s)
	case 1:
		b := []byte(s)
		for i := range b {
			c := b[i] | 0x20
			if c >= 'a' && c <= 'z' && g.r.Intn(2) == 0 {
				b[i] ^= 0x20
			}
		}
		return string(b)
	}
	return strings.ToUpper(s)
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }
