package respserver

import (
	"errors"
	"testing"
)

// maxclients against the open-files limit, as redis's
// adjustOpenFilesLimit: raised when the system lets it, otherwise
// maxclients lowered to the limit less 32.
func TestFitOpenFiles(t *testing.T) {
	hardAt := func(hard uint64) func(uint64) error {
		return func(n uint64) error {
			if n > hard {
				return errors.New("operation not permitted")
			}
			return nil
		}
	}
	for _, tc := range []struct {
		maxclients  int
		cur, hard   uint64
		fit         int
		reached     uint64
		description string
	}{
		{10000, 20000, 20000, 10000, 20000, "enough"},
		{10000, 1024, 1048576, 10000, 10032, "raised within the hard limit"},
		{10000, 4096, 4096, 4064, 4096, "hard limit too low: maxclients lowered"},
		{10000, 1024, 4100, 4064, 4096, "raised in steps of 16 from 10032: 4096 is the last under the hard limit"},
		{10000, 32, 32, 0, 32, "no room for any client"},
	} {
		fit, reached := fitOpenFiles(tc.maxclients, tc.cur, hardAt(tc.hard))
		if fit != tc.fit || reached != tc.reached {
			t.Errorf("%s: maxclients %d, limit %d/%d: got %d clients at %d, want %d at %d",
				tc.description, tc.maxclients, tc.cur, tc.hard, fit, reached, tc.fit, tc.reached)
		}
	}
}
