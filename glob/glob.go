// Package glob is redis's stringmatchlen: the patterns of PSUBSCRIBE,
// SENTINEL RESET and SENTINEL CONFIG GET. Unlike path.Match, '*' crosses
// every character and a malformed class never fails, it just matches
// literally as redis does.
package glob

// Match reports whether s matches pattern, case-sensitively.
func Match(pattern, s string) bool { return match(pattern, s, false) }

// MatchFold is Match ignoring ASCII case.
func MatchFold(pattern, s string) bool { return match(pattern, s, true) }

func lower(c byte, fold bool) byte {
	if fold && c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match backtracks only to the last '*', which keeps hostile patterns such
// as "*a*a*a*a*b" linear in practice instead of exponential.
func match(p, s string, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, -1
	for si < len(s) {
		if pi < len(p) && p[pi] == '*' {
			starP, starS = pi, si
			pi++
			continue
		}
		if pi < len(p) {
			if n, ok := single(p[pi:], s[si], fold); ok {
				pi += n
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		pi = starP + 1
		starS++
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// single matches one pattern token (literal, '?', '\x' or a class) against
// c; it returns the token's length and whether it matched.
func single(p string, c byte, fold bool) (int, bool) {
	switch p[0] {
	case '?':
		return 1, true
	case '\\':
		if len(p) >= 2 {
			return 2, lower(p[1], fold) == lower(c, fold)
		}
		return 1, c == '\\'
	case '[':
		i := 1
		not := i < len(p) && p[i] == '^'
		if not {
			i++
		}
		matched := false
		for i < len(p) && p[i] != ']' {
			switch {
			case p[i] == '\\' && i+1 < len(p):
				if p[i+1] == c {
					matched = true
				}
				i += 2
			case i+2 < len(p) && p[i+1] == '-':
				lo, hi := lower(p[i], fold), lower(p[i+2], fold)
				if lo > hi {
					lo, hi = hi, lo
				}
				if lc := lower(c, fold); lc >= lo && lc <= hi {
					matched = true
				}
				i += 3
			default:
				if lower(p[i], fold) == lower(c, fold) {
					matched = true
				}
				i++
			}
		}
		if i < len(p) {
			i++ // the closing ']'; an unterminated class ends the pattern
		}
		return i, matched != not
	default:
		return 1, lower(p[0], fold) == lower(c, fold)
	}
}
