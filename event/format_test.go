package event

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// oldDetails and oldEmit are the producer's code before events were
// typed (sentinel/events.go instanceDetails, sentinel/group.go emit):
// the payloads every consumer has seen so far, which Payload must keep.
func oldDetails(role, name string, addr Addr, master string, maddr Addr) string {
	s := role + " " + name + " " + addr.Host + " " + strconv.Itoa(addr.Port)
	if role != "master" {
		s += " @ " + master + " " + maddr.Host + " " + strconv.Itoa(maddr.Port)
	}
	return s
}

func oldEmit(in *Instance, text string) string {
	var payload string
	if in != nil {
		payload = oldDetails(string(in.Role), in.Name, in.Addr, in.MasterName, in.MasterAddr)
		if text != "" {
			payload += " " + text
		}
	} else {
		payload = text
	}
	if len(payload) > 1023 {
		payload = payload[:1023]
	}
	return payload
}

var (
	master   = Instance{Role: RoleMaster, Name: "mymaster", Addr: Addr{"10.0.0.1", 6379}}
	replica  = Instance{Role: RoleSlave, Name: "10.0.0.2:6380", Addr: Addr{"10.0.0.2", 6380}, MasterName: "mymaster", MasterAddr: Addr{"10.0.0.1", 6379}}
	peer     = Instance{Role: RoleSentinel, Name: strings.Repeat("c", 40), Addr: Addr{"10.0.0.9", 26379}, MasterName: "mymaster", MasterAddr: Addr{"10.0.0.1", 6379}}
	named    = Instance{Role: RoleMaster, Name: "mymaster", Addr: Addr{"db-master.test", 6379}} // announce-hostnames
	namedRep = Instance{Role: RoleSlave, Name: "db-replica.test:6380", Addr: Addr{"db-replica.test", 6380}, MasterName: "mymaster", MasterAddr: Addr{"db-master.test", 6379}}
	ipv6     = Instance{Role: RoleSlave, Name: "[fe80::2]:6380", Addr: Addr{"fe80::2", 6380}, MasterName: "mymaster", MasterAddr: Addr{"fe80::1", 6379}}
)

// payloadCases are events of every form, each with the payload the old
// concatenation produced for it.
var payloadCases = []struct {
	name string
	e    Event
	want string
}{
	{"sdown master", Event{Kind: SDown, Instance: master}, oldEmit(&master, "")},
	{"sdown replica", Event{Kind: SDown, Instance: replica}, oldEmit(&replica, "")},
	{"sentinel", Event{Kind: "+sentinel", Instance: peer}, oldEmit(&peer, "")},
	{"monitor", Event{Kind: "+monitor", Instance: master, Text: "quorum 2"}, oldEmit(&master, fmt.Sprintf("quorum %d", 2))},
	{"role change", Event{Kind: "-role-change", Instance: replica, Text: "new reported role is master"}, oldEmit(&replica, "new reported role is master")},
	{"odown", Event{Kind: ODown, Instance: master, Votes: 3, Quorum: 2}, oldEmit(&master, fmt.Sprintf("#quorum %d/%d", 3, 2))},
	{"odown hostname", Event{Kind: ODown, Instance: named, Votes: 2, Quorum: 2}, oldEmit(&named, "#quorum 2/2")},
	{"new epoch", Event{Kind: NewEpoch, Epoch: 18446744073709551615}, oldEmit(nil, strconv.FormatUint(18446744073709551615, 10))},
	{"vote", Event{Kind: VoteForLeader, Leader: strings.Repeat("a", 40), Epoch: 7}, oldEmit(nil, fmt.Sprintf("%s %d", strings.Repeat("a", 40), 7))},
	{"switch", Event{Kind: SwitchMaster, Master: "mymaster", From: Addr{"10.0.0.1", 6379}, To: Addr{"10.0.0.2", 6380}},
		oldEmit(nil, "mymaster "+"10.0.0.1"+" "+strconv.Itoa(6379)+" "+"10.0.0.2"+" "+strconv.Itoa(6380))},
	{"switch hostnames", Event{Kind: SwitchMaster, Master: "mymaster", From: Addr{"db-master.test", 6379}, To: Addr{"db-replica.test", 6380}},
		"mymaster db-master.test 6379 db-replica.test 6380"},
	{"switch ipv6", Event{Kind: SwitchMaster, Master: "m", From: Addr{"fe80::1", 6379}, To: Addr{"::1", 6380}}, "m fe80::1 6379 ::1 6380"},
	{"replica hostnames", Event{Kind: "+slave", Instance: namedRep}, "slave db-replica.test:6380 db-replica.test 6380 @ mymaster db-master.test 6379"},
	{"replica ipv6", Event{Kind: ConvertToSlave, Instance: ipv6}, "slave [fe80::2]:6380 fe80::2 6380 @ mymaster fe80::1 6379"},
	{"address switch", Event{Kind: "+sentinel-address-switch", Instance: master, Text: "ip 10.0.0.9 port 26380 for " + peer.Name},
		oldEmit(&master, fmt.Sprintf("ip %s port %d for %s", "10.0.0.9", 26380, peer.Name))},
	{"tilt", Event{Kind: Tilt, Text: "#tilt mode entered"}, "#tilt mode entered"},
	{"script error", Event{Kind: ScriptError, Text: "/x/notify.sh 0 1"}, "/x/notify.sh 0 1"},
	{"set cut at 1023", Event{Kind: "+set", Instance: master, Text: "notification-script " + strings.Repeat("x", 2000)},
		oldEmit(&master, "notification-script "+strings.Repeat("x", 2000))},
	{"text ignored by typed kind", Event{Kind: NewEpoch, Epoch: 5, Text: "stale"}, "5"},
}

func TestPayloadIsTodaysText(t *testing.T) {
	for _, c := range payloadCases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.e.Payload(); got != c.want {
				t.Fatalf("Payload()\n got %q\nwant %q", got, c.want)
			}
			if got, want := c.e.String(), string(c.e.Kind)+" "+c.want; got != want {
				t.Fatalf("String() %q, want %q", got, want)
			}
			if got, want := strings.Join(c.e.Words(), " "), strings.Join(strings.Fields(c.want), " "); got != want {
				t.Fatalf("Words() %q, want %q", got, want)
			}
		})
	}
}

func TestPayloadCutIsExactly1023Bytes(t *testing.T) {
	e := Event{Kind: "+set", Instance: master, Text: strings.Repeat("y", 5000)}
	if n := len(e.Payload()); n != MaxLen || MaxLen != 1023 {
		t.Fatalf("payload of %d bytes, MaxLen %d", n, MaxLen)
	}
	short := Event{Kind: "+set", Instance: master, Text: strings.Repeat("y", 1023-len(oldEmit(&master, ""))-1)}
	if p := short.Payload(); len(p) != 1023 || !strings.HasSuffix(p, "y") {
		t.Fatalf("a payload of exactly 1023 bytes was changed: %d bytes", len(p))
	}
}

func TestAbortReason(t *testing.T) {
	for k, want := range map[Kind]string{"-failover-abort-not-elected": "not-elected", "-failover-abort-slave-timeout": "slave-timeout"} {
		if got, ok := k.AbortReason(); !ok || got != want {
			t.Errorf("%s: %q %v", k, got, ok)
		}
	}
	for _, k := range []Kind{"-failover-abort-", FailoverEnd, "+failover-abort-x"} {
		if got, ok := k.AbortReason(); ok {
			t.Errorf("%s: reason %q", k, got)
		}
	}
}

// BenchmarkPayload: the text is now made by each consumer that needs it
// (log, pub/sub, notification script, hooks), so it must stay cheap.
func BenchmarkPayload(b *testing.B) {
	for _, c := range []struct {
		name string
		e    Event
	}{
		{"switch-master", Event{Kind: SwitchMaster, Master: "mymaster", From: Addr{"10.0.0.1", 6379}, To: Addr{"10.0.0.2", 6380}}},
		{"replica", Event{Kind: SDown, Instance: replica}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.e.Payload()
			}
		})
	}
}
