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
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var n int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
		if n > 1<<40 {
			n = 1 << 40
		}
	}
	if neg {
		return -n
	}
	return n
}

// isSpace is C's isspace in the C locale (as sdsargs.IsSpace; repeated
// so that redisnum stays a leaf).
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
