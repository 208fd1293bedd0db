package e2e

import (
	"slices"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// fuzzMasker masks replies without knowing which request they answer
// (a mutated stream can merge or split requests): it recognises the
// volatile replies by their content. INFO texts, CLIENT LIST/INFO lines,
// instance lists (SENTINEL MASTER/REPLICAS/SENTINELS), SENTINEL DEBUG and
// INFO-CACHE get the differential test's normalizers; run ids, the two
// sentinels' ids and ports, and the session's client id (on each side)
// become placeholders. There is one per side: each knows the id its
// server gave the session's connection.
type fuzzMasker struct {
	m   *masker
	own int64 // the session connection's client id on this side
	// commands are the names of the command table ("sentinel|master"):
	// COMMAND, COMMAND LIST and COMMAND DOCS list them in the order of
	// redis's hash table, which is seeded at random per process.
	commands map[string]bool
}

// norm masks one reply. The client id is masked only where redis puts
// it, as the whole reply (CLIENT ID) or HELLO's "id": elsewhere a small
// integer such as a subscription count can equal it.
func (fm *fuzzMasker) norm(v cluster.Value) cluster.Value { return fm.mask(v, true) }

func (fm *fuzzMasker) mask(v cluster.Value, idHere bool) cluster.Value {
	switch v.Kind {
	case cluster.Integer:
		if idHere && v.Int == fm.own {
			return cluster.Value{Kind: cluster.SimpleString, Str: "(int) <client-id>"}
		}
		return v
	case cluster.Bulk, cluster.Verbatim:
		text := v.Str
		if v.Kind == cluster.Verbatim && len(text) >= 4 {
			text = text[4:]
		}
		switch {
		case strings.HasPrefix(text, "# "):
			return info(v, fm.m)
		case strings.HasPrefix(text, "id=") && strings.Contains(text, " addr="):
			return fm.clientLines(v)
		case hexID.MatchString(v.Str):
			if p, ok := fm.m.tokens[v.Str]; ok {
				v.Str = p
			} else {
				v.Str = "<40 hex digits>"
			}
			return v
		}
		return fm.m.tokenize(v)
	case cluster.Array, cluster.Map, cluster.Set, cluster.Push:
		return fm.aggregate(v)
	}
	return fm.m.tokenize(v)
}

func (fm *fuzzMasker) aggregate(v cluster.Value) cluster.Value {
	if pairs, ok := v.Pairs(); ok && len(pairs) > 0 {
		keys := map[string]bool{}
		for _, kv := range pairs {
			keys[kv[0].Text()] = true
		}
		switch {
		case keys["name"] && keys["runid"] && keys["flags"]:
			return instance(v, fm.m)
		case keys["INFO-PERIOD"]:
			return pairNames(v, fm.m)
		case keys["server"] && keys["id"]: // HELLO
			out := v
			out.Elems = make([]cluster.Value, len(v.Elems))
			for i, e := range v.Elems {
				out.Elems[i] = fm.mask(e, i%2 == 1 && v.Elems[i-1].Text() == "id")
			}
			return out
		}
	}
	// SENTINEL INFO-CACHE: [age-ms, INFO text] pairs.
	if v.Kind == cluster.Array && len(v.Elems) == 2 && v.Elems[0].Kind == cluster.Integer &&
		v.Elems[1].Kind == cluster.Bulk && strings.HasPrefix(v.Elems[1].Str, "# ") {
		return cluster.Value{Kind: cluster.Array, Elems: []cluster.Value{maskScalar(v.Elems[0]), {Kind: cluster.Bulk, Str: "<INFO text>"}}}
	}
	out := v
	out.Elems = make([]cluster.Value, len(v.Elems))
	for i, e := range v.Elems {
		out.Elems[i] = fm.mask(e, false)
	}
	fm.sortCommands(&out)
	return out
}

// sortCommands sorts a list of command names, of COMMAND entries, or a
// map keyed by command names (COMMAND DOCS), by name.
func (fm *fuzzMasker) sortCommands(v *cluster.Value) {
	name := func(e cluster.Value) (string, bool) {
		if e.Kind == cluster.Array && len(e.Elems) > 0 {
			e = e.Elems[0]
		}
		return e.Str, (e.Kind == cluster.Bulk || e.Kind == cluster.SimpleString) && fm.commands[strings.ToLower(e.Str)]
	}
	if v.Kind == cluster.Map {
		pairs, _ := v.Pairs()
		for _, kv := range pairs {
			if _, ok := name(kv[0]); !ok {
				return
			}
		}
		slices.SortStableFunc(pairs, func(a, b [2]cluster.Value) int { return strings.Compare(a[0].Str, b[0].Str) })
		for i, kv := range pairs {
			v.Elems[2*i], v.Elems[2*i+1] = kv[0], kv[1]
		}
		return
	}
	if len(v.Elems) < 2 {
		return
	}
	// COMMAND DOCS in RESP2: name, docs, name, docs...
	if v.Kind == cluster.Array && len(v.Elems)%2 == 0 && v.Elems[0].Kind == cluster.Bulk && v.Elems[1].Kind == cluster.Array {
		m := cluster.Value{Kind: cluster.Map, Elems: v.Elems}
		fm.sortCommands(&m)
		return
	}
	for _, e := range v.Elems {
		if _, ok := name(e); !ok {
			return
		}
	}
	slices.SortStableFunc(v.Elems, func(a, b cluster.Value) int {
		na, _ := name(a)
		nb, _ := name(b)
		return strings.Compare(na, nb)
	})
}

// clientLines masks CLIENT LIST and CLIENT INFO: the line of the
// session's own connection (found by its id) keeps its field names and the
// values that are the same on both sides; other lines are the sentinel's
// links and the harness's probe, which differ by nature and are dropped.
func (fm *fuzzMasker) clientLines(v cluster.Value) cluster.Value {
	var own []string
	text := v.Str
	if v.Kind == cluster.Verbatim && len(text) >= 4 {
		text = text[4:]
	}
	prefix := "id=" + strconv.FormatInt(fm.own, 10) + " "
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		own = append(own, maskClientLine(l))
	}
	return cluster.Value{Kind: v.Kind, Str: "own lines: " + strconv.Quote(strings.Join(own, "\n"))}
}
