package event

import (
	"strings"
	"testing"
)

// Every payload Payload writes is read back by Parse to the same fields
// (bar the cut one, which no longer has its whole text).
func TestParseInvertsPayload(t *testing.T) {
	for _, c := range payloadCases {
		if len(c.want) == MaxLen || c.e.Text == "stale" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			got, ok := Parse(c.e.Kind, c.want)
			if !ok {
				t.Fatalf("Parse(%q) not ok: %+v", c.want, got)
			}
			if got.Payload() != c.want {
				t.Fatalf("Parse then Payload %q, want %q", got.Payload(), c.want)
			}
			want := c.e
			if want.Master == "" {
				want.Master = want.Instance.MasterName
				if want.Instance.Role == RoleMaster {
					want.Master = want.Instance.Name
				}
			}
			if got != want {
				t.Fatalf("Parse(%q)\n got %+v\nwant %+v", c.want, got, want)
			}
		})
	}
}

func TestParseKeepsWhatItCannotRead(t *testing.T) {
	for _, c := range []struct {
		k       Kind
		payload string
	}{
		{SwitchMaster, "mymaster 10.0.0.1 6379"},
		{SwitchMaster, "mymaster 10.0.0.1 x 10.0.0.2 6380"},
		{NewEpoch, "five"},
		{VoteForLeader, "aaaa"},
		{ODown, "master mymaster 10.0.0.1 6379 #quorum 2"},
	} {
		e, ok := Parse(c.k, c.payload)
		if ok || !strings.HasSuffix(c.payload, e.Text) || e.Text == "" {
			t.Errorf("Parse(%s, %q) = %+v, %v; want not ok with the text kept", c.k, c.payload, e, ok)
		}
	}
	// Two spaces after the instance: the text keeps its leading space,
	// so the payload comes back byte for byte.
	const odd = "master m 1.1.1.1 1  two"
	if e, ok := Parse("+x", odd); !ok || e.Instance.Name != "m" || e.Payload() != odd {
		t.Errorf("Parse(%q) = %+v, %v; payload again %q", odd, e, ok, e.Payload())
	}
}
