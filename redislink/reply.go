package redislink

import (
	"context"
	"errors"
	"net"
	"strings"
)

// replyError is what a RESP error reply looks like as an error (the shape
// go-redis uses too, so either client's errors are recognised).
type replyError interface {
	error
	RedisError()
}

// IsReplyError reports whether err is a RESP error reply (the instance
// answered) rather than a transport failure.
func IsReplyError(err error) bool {
	var re replyError
	return errors.As(err, &re) && !isNetErr(err)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// replyErr is an error reply as parseReply returns it: a value of the reply (the
// instance answered), and the error a command link hands to its caller,
// shaped like go-redis's so IsReplyError recognises either.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (e replyErr) RedisError()   {}

// ReplyString turns a simple reply into its text, "" when it is not one.
func ReplyString(v any) string {
	switch r := v.(type) {
	case string:
		return r
	case []byte:
		return string(r)
	}
	return ""
}

// ErrorText returns the RESP error text of a reply error ("LOADING ...").
func ErrorText(err error) string {
	var re replyError
	if errors.As(err, &re) {
		return strings.TrimPrefix(re.Error(), "-")
	}
	return ""
}
