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

// word reports whether s is one word, as names, hosts and run ids are.
func word(s string) bool {
	f := strings.Fields(s)
	return len(f) == 1 && f[0] == s
}

// Any event of a typed kind, with one-word names and hosts, is read back
// by Parse to the same fields; any event of another kind to the same
// payload.
func FuzzParseInvertsPayload(f *testing.F) {
	f.Add(uint8(0), "mymaster", "10.0.0.1", 6379, "db.test", 6380, uint64(5), 2, 3, "quorum 2")
	f.Add(uint8(1), "[fe80::2]:6380", "fe80::2", 6380, "fe80::1", 6379, uint64(1<<63), -1, 0, " two  spaces ")
	f.Add(uint8(2), "cccc", "10.0.0.9", 26379, "10.0.0.1", 6379, uint64(0), 0, 0, "")
	f.Add(uint8(3), "m", "h", 1, "@", 2, uint64(7), 1, 1, "master m h 1")
	f.Fuzz(func(t *testing.T, role uint8, name, host string, port int, mhost string, mport int, epoch uint64, votes, quorum int, text string) {
		if !word(name) || !word(host) || !word(mhost) {
			t.Skip()
		}
		in := Instance{Name: name, Addr: Addr{host, port}}
		switch role % 4 {
		case 0:
			in.Role = RoleMaster
		case 1:
			in.Role, in.MasterName, in.MasterAddr = RoleSlave, "mymaster", Addr{mhost, mport}
		case 2:
			in.Role, in.MasterName, in.MasterAddr = RoleSentinel, "mymaster", Addr{mhost, mport}
		}
		master := in.MasterName
		if in.Role == RoleMaster {
			master = in.Name
		}
		for _, e := range []Event{
			{Kind: SwitchMaster, Master: name, From: Addr{host, port}, To: Addr{mhost, mport}},
			{Kind: NewEpoch, Epoch: epoch},
			{Kind: VoteForLeader, Leader: name, Epoch: epoch},
			{Kind: ODown, Master: master, Instance: in, Votes: votes, Quorum: quorum},
		} {
			if e.Kind == ODown && in.Role == "" {
				continue
			}
			p := e.Payload()
			if len(p) == MaxLen {
				continue // cut: the text no longer holds every field
			}
			got, ok := Parse(e.Kind, p)
			if !ok || got != e {
				t.Fatalf("Parse(%s, %q)\n got %+v, %v\nwant %+v", e.Kind, p, got, ok, e)
			}
		}
		e := Event{Kind: "+x", Master: master, Instance: in, Text: text}
		if p := e.Payload(); len(p) < MaxLen {
			if got, _ := Parse(e.Kind, p); got.Payload() != p {
				t.Fatalf("Parse(+x, %q) gives back %q", p, got.Payload())
			}
		}
	})
}
