// Package redisnum reads integers the way redis reads them from clients
// and config files (util.c string2ll, behind getLongLongFromObject):
// decimal digits with an optional '-', no '+', no leading zeros, no "-0",
// no spaces, fewer than 21 bytes. strconv.ParseInt takes "+1", "01" and
// "-0", which redis answers with "value is not an integer" or "Invalid
// argument", so every number a client sends us goes through here. Atoi is
// the lax C atoi redis uses for most numbers of sentinel config lines.
package redisnum

import "strconv"

// ParseInt is string2ll: the value and whether b is an integer redis
// would take.
func ParseInt[T ~string | ~[]byte](b T) (int64, bool) {
	if len(b) == 0 || len(b) >= 21 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	i := 0
	if b[0] == '-' {
		i = 1
	}
	if i >= len(b) || b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Atoi is C's atoi, which redis uses for most numbers of sentinel config
// lines: optional blanks and sign, then digits up to the first
// non-digit; garbage gives 0. So "5000ms" is 5000 there and must be here
// too. The value is capped at 2^40, far beyond any valid setting, where C
// would overflow.
func Atoi(s string) int64 {
	i, neg := cSign(s)
	var n int64
	for ; i < len(s) && isDigit(s[i]); i++ {
		n = min(n*10+int64(s[i]-'0'), 1<<40)
	}
	if neg {
		return -n
	}
	return n
}

// Strtoull is C's strtoull(s, NULL, 10), which redis uses for the epochs
// of config lines: like Atoi, but past the largest uint64 it is that
// (ERANGE), and a negative number wraps as in C.
func Strtoull(s string) uint64 {
	i, neg := cSign(s)
	var n uint64
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if n > (^uint64(0)-d)/10 {
			return ^uint64(0)
		}
		n = n*10 + d
	}
	if neg {
		return -n
	}
	return n
}

// cSign skips what C's number parsers skip before the digits (blanks,
// then one sign): the index of the first digit and whether it was '-'.
func cSign(s string) (int, bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		return i + 1, s[i] == '-'
	}
	return i, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isSpace is C's isspace in the C locale (as sdsargs.IsSpace; repeated
// so that redisnum stays a leaf).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
