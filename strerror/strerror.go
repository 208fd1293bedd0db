// Package strerror gives C's strerror text for the errno inside a Go
// error, which redis puts in its messages ("No such file or directory",
// "Address already in use"): Go's texts are the same but for the capital.
package strerror

import (
	"errors"
	"strings"
	"syscall"
)

// Text is strerror(errno) for the errno inside err, or err's own text
// when it holds none.
func Text(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	msg := errno.Error()
	if msg == "" {
		return err.Error()
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}
