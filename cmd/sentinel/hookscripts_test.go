package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/hooks"
	"github.com/qsentinel/qsentinel/sentinel"
)

// Hook runs follow redis's script jobs, flagged ",hook", in the same
// fields.
func TestHookScripts(t *testing.T) {
	got := hookScripts([]hooks.Scheduled{
		{Argv: []string{"/h", "+sdown"}, Running: true, PID: 7, RunTime: time.Second},
		{Argv: []string{"/h", "+odown"}, RunDelay: 2 * time.Second, Retries: 3},
	})
	want := []sentinel.PendingScript{
		{Argv: []string{"/h", "+sdown"}, Flags: "running,hook", PID: 7, RunTime: time.Second},
		{Argv: []string{"/h", "+odown"}, Flags: "scheduled,hook", RunDelay: 2 * time.Second, RetryCount: 3},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
