package redisnum

import "testing"

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1", 1, true}, {"-1", -1, true}, {"123", 123, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"", 0, false}, {"-", 0, false},
		{"+1", 0, false}, {"01", 0, false}, {"-0", 0, false}, {"00", 0, false},
		{" 1", 0, false}, {"1 ", 0, false}, {"1x", 0, false}, {"0x10", 0, false},
		{"000000000000000000001", 0, false},
	} {
		got, ok := ParseInt(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if g2, ok2 := ParseInt([]byte(tc.in)); g2 != got || ok2 != ok {
			t.Errorf("bytes and string disagree on %q", tc.in)
		}
	}
}

// TestAtoi: C's atoi, as redis reads sentinel config numbers.
func TestAtoi(t *testing.T) {
	for in, want := range map[string]int64{
		"5000": 5000, "5000ms": 5000, " \t12": 12, "-3": -3, "+7": 7, "007": 7,
		"abc": 0, "": 0, "-": 0, "1 2": 1, "99999999999999999999": 1 << 40, "-99999999999999": -(1 << 40),
	} {
		if got := Atoi(in); got != want {
			t.Errorf("Atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestStrtoull: C's strtoull, as redis reads the epochs of config lines.
func TestStrtoull(t *testing.T) {
	for in, want := range map[string]uint64{
		"12": 12, " 7x": 7, "abc": 0, "-1": ^uint64(0), "18446744073709551615": ^uint64(0),
		"18446744073709551616": ^uint64(0), "99999999999999999999999": ^uint64(0),
	} {
		if got := Strtoull(in); got != want {
			t.Errorf("Strtoull(%q) = %d, want %d", in, got, want)
		}
	}
}
