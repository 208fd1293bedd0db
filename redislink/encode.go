package redislink

import (
	"fmt"
	"strconv"
)

// The encoders write commands as clients send them, an array of bulk
// strings, appending to a buffer the link reuses.

// appendAnyCommand encodes a command whose arguments are what callers pass
// to Do and Send: strings, byte slices, integers, anything else in fmt's
// %v form.
func appendAnyCommand(b []byte, args []any) []byte {
	b = appendArrayHeader(b, len(args))
	for _, a := range args {
		switch v := a.(type) {
		case string:
			b = appendBulk(b, v)
		case []byte:
			b = appendBulk(b, string(v))
		case int:
			b = appendBulk(b, strconv.Itoa(v))
		case int64:
			b = appendBulk(b, strconv.FormatInt(v, 10))
		case uint64:
			b = appendBulk(b, strconv.FormatUint(v, 10))
		default:
			b = appendBulk(b, fmt.Sprint(v))
		}
	}
	return b
}

// appendCommand encodes a command of string arguments.
func appendCommand(b []byte, args ...string) []byte {
	b = appendArrayHeader(b, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	return b
}

func appendArrayHeader(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}
