package main

import (
	"errors"
	"slices"
	"testing"

	"github.com/qsentinel/qsentinel/sentinel"
)

func TestLogFormatArg(t *testing.T) {
	for _, c := range []struct {
		args   []string
		rest   []string
		format string
	}{
		{[]string{"--port", "1"}, []string{"--port", "1"}, ""},
		{[]string{"--log-format", "JSON", "--port", "1"}, []string{"--port", "1"}, "json"},
		{[]string{"--port", "1", "--log-format=text"}, []string{"--port", "1"}, "text"},
		{[]string{"--log-format", "redis"}, nil, "redis"},
	} {
		rest, format, err := logFormatArg(c.args)
		if err != nil || format != c.format || !slices.Equal(rest, c.rest) {
			t.Errorf("%q: %q %q %v", c.args, rest, format, err)
		}
	}
	for _, bad := range [][]string{{"--log-format"}, {"--log-format", "xml"}, {"--log-format="}} {
		if _, _, err := logFormatArg(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

type fakeStore struct{ err error }

func (f fakeStore) Save(*sentinel.Config) error { return f.err }

// A save is logged as redis-sentinel logs it; a failed one is not (the
// monitor logs the failure).
func TestSavedStoreLogs(t *testing.T) {
	var got []string
	log := func(m string) { got = append(got, m) }
	if err := (savedStore{Store: fakeStore{}, log: log}).Save(nil); err != nil {
		t.Fatal(err)
	}
	if err := (savedStore{Store: fakeStore{errors.New("disk full")}, log: log}).Save(nil); err == nil {
		t.Fatal("error lost")
	}
	if !slices.Equal(got, []string{"Sentinel new configuration saved on disk"}) {
		t.Errorf("logged %q", got)
	}
}
