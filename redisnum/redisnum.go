// Package redisnum reads integers the way redis reads them from clients
// and config files (util.c string2ll, behind getLongLongFromObject):
// decimal digits with an optional '-', no '+', no leading zeros, no "-0",
// no spaces, fewer than 21 bytes. strconv.ParseInt takes "+1", "01" and
// "-0", which redis answers with "value is not an integer" or "Invalid
// argument", so every number a client sends us goes through here.
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
