package e2e

import (
	"regexp"
	"slices"
	"strings"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// A normalizer turns a reply into the part of it both implementations
// must agree on: RESP types, lengths, field names and order, error texts
// and stable values stay; values that legitimately differ between two
// sentinels watching the same master (their own ids and ports, millisecond
// counters, client ids) become placeholders. Normalizers must keep the
// RESP kind of whatever they do not understand, so a wrong type still
// shows up as a difference.
type normalizer func(v cluster.Value, m *masker) cluster.Value

// masker knows the values that identify each sentinel (run id, port).
// In SENTINEL SENTINELS each side lists the *other* one, so both ids map
// to the same placeholder.
type masker struct {
	tokens map[string]string
}

func newMasker() *masker { return &masker{tokens: map[string]string{}} }

func (m *masker) add(value, placeholder string) {
	if value != "" {
		m.tokens[value] = placeholder
	}
}

// tokenize replaces every scalar that equals a known token.
func (m *masker) tokenize(v cluster.Value) cluster.Value {
	switch v.Kind {
	case cluster.Array, cluster.Map, cluster.Set, cluster.Push:
		out := v
		out.Elems = make([]cluster.Value, len(v.Elems))
		for i, e := range v.Elems {
			out.Elems[i] = m.tokenize(e)
		}
		return out
	case cluster.Bulk, cluster.SimpleString:
		if p, ok := m.tokens[v.Str]; ok {
			v.Str = p
		}
	}
	return v
}

// exact compares everything but the sentinels' own ids and ports.
func exact(v cluster.Value, m *masker) cluster.Value { return m.tokenize(v) }

var intRe = regexp.MustCompile(`^-?[0-9]+$`)

// maskScalar replaces a volatile value by a placeholder that still says
// what it was: an integer (the RESP kind is kept), or not. A non-integer
// where redis sends digits stays visible in the diff.
func maskScalar(v cluster.Value) cluster.Value {
	switch v.Kind {
	case cluster.Integer:
		return cluster.Value{Kind: cluster.Integer, Int: 0}
	case cluster.Bulk, cluster.SimpleString:
		if intRe.MatchString(v.Str) {
			v.Str = "<int>"
		} else {
			v.Str = "<not an int: " + v.Str + ">"
		}
	}
	return v
}

// volatileFields are instance fields whose values are timers, counters or
// link state that differ between any two sentinels at any moment.
var volatileFields = map[string]bool{
	"link-pending-commands": true,
	"last-ping-sent":        true,
	"last-ok-ping-reply":    true,
	"last-ping-reply":       true,
	"s-down-time":           true,
	"o-down-time":           true,
	"info-refresh":          true,
	"role-reported-time":    true,
	"master-link-down-time": true,
	"slave-repl-offset":     true,
	"last-hello-message":    true,
}

// instance normalizes one SENTINEL MASTER-style reply (flat key/value
// array in RESP2, map in RESP3): field names and order are kept, volatile
// values masked, and flags compared as a set.
func instance(v cluster.Value, m *masker) cluster.Value {
	pairs, ok := v.Pairs()
	if !ok {
		return m.tokenize(v)
	}
	out := v
	out.Elems = nil
	for _, kv := range pairs {
		key, val := kv[0], kv[1]
		switch {
		case volatileFields[key.Text()]:
			val = maskScalar(val)
		case key.Text() == "flags" && val.Kind == cluster.Bulk:
			f := strings.Split(val.Str, ",")
			slices.Sort(f)
			val.Str = "{" + strings.Join(f, ",") + "}"
		default:
			val = m.tokenize(val)
		}
		out.Elems = append(out.Elems, key, val)
	}
	return out
}

// instances normalizes SENTINEL MASTERS/REPLICAS/SENTINELS: a list of
// instances.
func instances(v cluster.Value, m *masker) cluster.Value {
	if v.Kind != cluster.Array {
		return m.tokenize(v)
	}
	out := v
	out.Elems = make([]cluster.Value, len(v.Elems))
	for i, e := range v.Elems {
		out.Elems[i] = instance(e, m)
	}
	return out
}

// pairsMasking masks the values of the named keys of a key/value reply
// (HELLO's "id") and compares the rest exactly.
func pairsMasking(keys ...string) normalizer {
	return func(v cluster.Value, m *masker) cluster.Value {
		pairs, ok := v.Pairs()
		if !ok {
			return m.tokenize(v)
		}
		out := v
		out.Elems = nil
		for _, kv := range pairs {
			val := kv[1]
			if slices.Contains(keys, kv[0].Text()) || len(keys) == 0 {
				val = maskScalar(val)
			} else {
				val = m.tokenize(val)
			}
			out.Elems = append(out.Elems, kv[0], val)
		}
		return out
	}
}

// pairNames compares only the keys of a key/value reply (SENTINEL DEBUG:
// the list of tunables; values are masked, only their being integers is
// checked).
var pairNames = pairsMasking()

// anyInt masks an integer reply (CLIENT ID).
func anyInt(v cluster.Value, m *masker) cluster.Value {
	if v.Kind == cluster.Integer {
		return maskScalar(v)
	}
	return m.tokenize(v)
}

var hexID = regexp.MustCompile(`^[0-9a-f]{40}$`)

// runID compares SENTINEL MYID by shape: 40 lower-case hex digits.
func runID(v cluster.Value, m *masker) cluster.Value {
	if v.Kind == cluster.Bulk && hexID.MatchString(v.Str) {
		v.Str = "<40 hex digits>"
	}
	return v
}

// infoKeepValues are INFO fields outside the Sentinel section whose values
// tools rely on: redis_exporter and client libraries detect a sentinel by
// redis_mode and gate features on redis_version.
var infoKeepValues = map[string]bool{"redis_version": true, "redis_mode": true}

// infoAdded are lines ours writes and redis-sentinel 7.0 does not: newer
// servers' fields (sentinel_total_tilt is Valkey 9's), left out of the
// comparison on purpose (CONFORMANCE.md).
var infoAdded = map[string]bool{"sentinel_total_tilt": true}

// info turns an INFO text into lines: section headers, field names, the
// values that matter (the whole Sentinel section, including the masterN
// line with its sentinel count). The text becomes an array of lines so
// a difference shows as a line diff; the RESP kind is kept in the header.
func info(v cluster.Value, m *masker) cluster.Value {
	if v.Kind != cluster.Bulk && v.Kind != cluster.Verbatim {
		return m.tokenize(v)
	}
	text := v.Str
	header := v.Kind.String()
	if v.Kind == cluster.Verbatim && len(text) >= 4 {
		header += " " + text[:4]
		text = text[4:]
	}
	lines := []cluster.Value{{Kind: cluster.SimpleString, Str: header}}
	section := ""
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		switch {
		case l == "":
			continue
		case strings.HasPrefix(l, "# "):
			section = strings.ToLower(l[2:])
		case infoAdded[strings.SplitN(l, ":", 2)[0]]:
			continue
		case section != "sentinel":
			if k, _, ok := strings.Cut(l, ":"); ok && !infoKeepValues[k] {
				l = k + ":<v>"
			}
		}
		lines = append(lines, cluster.Value{Kind: cluster.SimpleString, Str: l})
	}
	return cluster.Value{Kind: cluster.Array, Elems: lines}
}

// infoCache checks SENTINEL INFO-CACHE by structure: master name, then
// one [age-ms, INFO text] pair per instance (master first).
func infoCache(v cluster.Value, m *masker) cluster.Value {
	if v.Kind != cluster.Array {
		return m.tokenize(v)
	}
	out := v
	out.Elems = make([]cluster.Value, len(v.Elems))
	for i, e := range v.Elems {
		if e.Kind != cluster.Array {
			out.Elems[i] = m.tokenize(e)
			continue
		}
		inst := e
		inst.Elems = make([]cluster.Value, len(e.Elems))
		for j, pair := range e.Elems {
			if pair.Kind == cluster.Array && len(pair.Elems) == 2 {
				age, text := maskScalar(pair.Elems[0]), pair.Elems[1]
				if text.Kind == cluster.Bulk {
					if strings.HasPrefix(text.Str, "# Server") {
						text.Str = "<INFO text>"
					} else {
						text.Str = "<not an INFO text: " + firstLine(text.Str) + ">"
					}
				}
				pair.Elems = []cluster.Value{age, text}
			}
			inst.Elems[j] = pair
		}
		out.Elems[i] = inst
	}
	return out
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// clientListKeep are CLIENT LIST fields whose values are the same for the
// connection that runs the command on any sentinel.
var clientListKeep = map[string]bool{
	"name": true, "db": true, "sub": true, "psub": true, "ssub": true,
	"multi": true, "flags": true, "cmd": true, "user": true, "resp": true,
}

// clientList keeps the field names (and a few values) of the line that
// describes the connection sending CLIENT LIST; the other lines are the
// sentinel's peers, which differ by nature.
func clientList(v cluster.Value, m *masker) cluster.Value {
	if v.Kind != cluster.Bulk && v.Kind != cluster.Verbatim {
		return m.tokenize(v)
	}
	for _, l := range strings.Split(v.Str, "\n") {
		if !strings.Contains(l, " cmd=client|list ") {
			continue
		}
		return cluster.Value{Kind: v.Kind, Str: "own line: " + maskClientLine(l)}
	}
	return cluster.Value{Kind: v.Kind, Str: "<no line with cmd=client|list>"}
}

// maskClientLine masks one CLIENT LIST/INFO line: every field's value but
// those in clientListKeep becomes <v>.
func maskClientLine(l string) string {
	var fields []string
	for _, f := range strings.Fields(l) {
		k, val, _ := strings.Cut(f, "=")
		if !clientListKeep[k] {
			val = "<v>"
		}
		fields = append(fields, k+"="+val)
	}
	return strings.Join(fields, " ")
}
