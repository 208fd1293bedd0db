package failover

import (
	"strings"
	"testing"
)

func TestParseHello(t *testing.T) {
	h, ok := ParseHello("127.0.0.1,26503,19a1920000000000000000000000000000d8b0aa,7,mymaster,127.0.0.1,16479,3")
	if !ok {
		t.Fatal("valid hello rejected")
	}
	want := Hello{Addr: Addr{Host: "127.0.0.1", Port: 26503}, RunID: "19a1920000000000000000000000000000d8b0aa", CurrentEpoch: 7, MasterName: "mymaster", MasterAddr: Addr{Host: "127.0.0.1", Port: 16479}, ConfigEpoch: 3}
	if h != want {
		t.Fatalf("got %+v want %+v", h, want)
	}
	for _, bad := range []string{"", "a,b,c", "1,2,3,4,5,6,7,8,9", ",1,r,0,m,h,1,0", "h,70000,r,0,m,h,1,0"} {
		if _, ok := ParseHello(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add("127.0.0.1,26503,19a1920000000000000000000000000000d8b0aa,7,mymaster,127.0.0.1,16479,3")
	f.Add("::1,0,x,18446744073709551615,m,::1,65535,99999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := ParseHello(s)
		if !ok {
			return
		}
		if strings.Count(s, ",") != 7 || h.RunID == "" || h.Addr.Port < 0 || h.Addr.Port > 65535 {
			t.Fatalf("accepted bad hello %q as %+v", s, h)
		}
	})
}
