package cluster

import (
	"fmt"
	"os"
	"strings"
)

// ConfFile is a sentinel.conf as read from disk, split into directives
// the way redis splits config lines (sdssplitargs: spaces separate words,
// double quotes with backslash escapes and single quotes group them).
type ConfFile struct {
	Path  string
	Text  string
	Lines [][]string // non-empty, non-comment lines as words
}

// ReadConf reads and splits path. A line with unbalanced quotes is an
// error, as it is for redis.
func ReadConf(path string) (*ConfFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseConf(path, string(b))
}

// ParseConf splits text; path is only used in errors.
func ParseConf(path, text string) (*ConfFile, error) {
	cf := &ConfFile{Path: path, Text: text}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		words, err := SplitArgs(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		cf.Lines = append(cf.Lines, words)
	}
	return cf, nil
}

// Find returns the lines whose first words equal prefix
// (case-insensitively, as redis matches directive names).
func (cf *ConfFile) Find(prefix ...string) [][]string {
	var out [][]string
	for _, l := range cf.Lines {
		if len(l) < len(prefix) {
			continue
		}
		match := true
		for i, p := range prefix {
			if !strings.EqualFold(l[i], p) {
				match = false
				break
			}
		}
		if match {
			out = append(out, l)
		}
	}
	return out
}

// Get returns the word after prefix on the last matching line (the one
// that wins for redis), and whether there was one.
func (cf *ConfFile) Get(prefix ...string) (string, bool) {
	ls := cf.Find(prefix...)
	if len(ls) == 0 || len(ls[len(ls)-1]) <= len(prefix) {
		return "", false
	}
	return ls[len(ls)-1][len(prefix)], true
}

// SplitArgs splits one config line like redis's sdssplitargs.
func SplitArgs(line string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return words, nil
		}
		var w strings.Builder
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced double quotes")
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						w.WriteByte('\n')
					case 'r':
						w.WriteByte('\r')
					case 't':
						w.WriteByte('\t')
					case 'x':
						if i+2 < len(line) {
							var b byte
							if _, err := fmt.Sscanf(line[i+1:i+3], "%02x", &b); err == nil {
								w.WriteByte(b)
								i += 2
								break
							}
						}
						w.WriteByte('x')
					default:
						w.WriteByte(line[i])
					}
					i++
					continue
				}
				w.WriteByte(c)
				i++
			}
			// Like redis: a closing quote must be followed by a space.
			if i < len(line) && line[i] != ' ' && line[i] != '\t' {
				return nil, fmt.Errorf("closing quote must be followed by a space")
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced single quotes")
				}
				if line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					w.WriteByte('\'')
					i += 2
					continue
				}
				if line[i] == '\'' {
					i++
					break
				}
				w.WriteByte(line[i])
				i++
			}
			if i < len(line) && line[i] != ' ' && line[i] != '\t' {
				return nil, fmt.Errorf("closing quote must be followed by a space")
			}
		default:
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				w.WriteByte(line[i])
				i++
			}
		}
		words = append(words, w.String())
	}
}
