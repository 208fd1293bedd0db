package sentinelconf

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A YAML error names the line of the key at fault, as the .conf's errors
// do: the checks wrap their errors with the key's path (at), and the
// loader looks that path up in the file's node tree. The texts of the
// errors are unchanged; only "line N" is added.

// located marks err as being about the key at path (keys and list
// indexes, from the enclosing key's value). Its text is err's.
type located struct {
	path []any
	err  error
}

func (e *located) Error() string { return e.err.Error() }
func (e *located) Unwrap() error { return e.err }

// at says err is about the key at path.
func at(err error, path ...any) error { return &located{path: path, err: err} }

// pathKey renders a path as yamlKeyLines names it: masters[0].port.
func pathKey(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(strings.ToLower(fmt.Sprint(p)))
		}
	}
	return b.String()
}

// errPath is the full path of the keys err is located at, outermost first.
func errPath(err error) []any {
	var path []any
	for {
		var l *located
		if !errors.As(err, &l) {
			return path
		}
		path = append(path, l.path...)
		err = l.err
	}
}

// yamlKeyLines maps every key and list item of a YAML document, named as
// pathKey names them (keys in lower case, as viper reads them), to its
// line. Nil when the text does not parse.
func yamlKeyLines(data []byte) map[string]int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	out := map[string]int{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := strings.ToLower(n.Content[i].Value)
				if prefix != "" {
					k = prefix + "." + k
				}
				out[k] = n.Content[i].Line
				walk(n.Content[i+1], k)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				k := prefix + "[" + strconv.Itoa(i) + "]"
				out[k] = c.Line
				walk(c, k)
			}
		}
	}
	walk(doc.Content[0], "")
	return out
}

// lineOf is the line of the longest prefix of path the file has; 0 when
// none (a key set only by the environment, say).
func lineOf(lines map[string]int, path []any) int {
	for n := len(path); n > 0; n-- {
		if l, ok := lines[pathKey(path[:n])]; ok {
			return l
		}
	}
	return 0
}

// withLine adds the line of the key err is located at.
func withLine(file string, data []byte, err error) error {
	if line := lineOf(yamlKeyLines(data), errPath(err)); line > 0 {
		return fmt.Errorf("config file %s, line %d: %w", file, line, err)
	}
	return fmt.Errorf("config file %s: %w", file, err)
}

var (
	// mapstructure's "'key' <what is wrong>" and "'parent' has invalid
	// keys: a, b" lines, the errors of UnmarshalExact.
	decodeKeyRe     = regexp.MustCompile(`^'([^']*)' `)
	decodeInvalidRe = regexp.MustCompile(`^'([^']*)' has invalid keys: (.+)$`)
)

// decodeWithLines adds the lines of the keys each line of a decoding
// error names.
func decodeWithLines(file string, data []byte, err error) error {
	lines := yamlKeyLines(data)
	msg := strings.Split(err.Error(), "\n")
	found := false
	for i, m := range msg {
		var at []int
		if sub := decodeInvalidRe.FindStringSubmatch(m); sub != nil {
			for _, k := range strings.Split(sub[2], ",") {
				key := strings.TrimSpace(k)
				if sub[1] != "" {
					key = sub[1] + "." + key
				}
				if l, ok := lines[strings.ToLower(key)]; ok {
					at = append(at, l)
				}
			}
		} else if sub := decodeKeyRe.FindStringSubmatch(m); sub != nil {
			if l, ok := lines[strings.ToLower(sub[1])]; ok {
				at = append(at, l)
			}
		}
		if len(at) == 0 {
			continue
		}
		sort.Ints(at)
		var nums []string
		for _, l := range at {
			nums = append(nums, strconv.Itoa(l))
		}
		word := "line "
		if len(nums) > 1 {
			word = "lines "
		}
		msg[i] = word + strings.Join(nums, ", ") + ": " + m
		found = true
	}
	if !found {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	return &annotated{text: fmt.Sprintf("config file %s: %s", file, strings.Join(msg, "\n")), err: err}
}

// annotated is err told in other words (with lines added).
type annotated struct {
	text string
	err  error
}

func (e *annotated) Error() string { return e.text }
func (e *annotated) Unwrap() error { return e.err }
