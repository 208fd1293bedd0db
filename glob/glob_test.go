package glob

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", true},
		{"*", "+switch-master", true},
		{"+*", "+sdown", true},
		{"-*", "+sdown", false},
		{"my*", "mymaster", true},
		{"m?master", "mymaster", true},
		{"m[xy]master", "mymaster", true},
		{"m[^y]master", "mymaster", false},
		{"m[a-z]master", "mymaster", true},
		{"a/*", "a/b/c", true},
		{"\\*", "*", true},
		{"\\*", "a", false},
		{"[", "a", false},
		{"ab", "abc", false},
		{"abc*", "abc", true},
		{"*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, c := range cases {
		if got := Match(c.p, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
	if !MatchFold("RESOLVE-*", "resolve-hostnames") {
		t.Error("MatchFold is case-sensitive")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("*a[b-c]?\\", "abc")
	f.Fuzz(func(t *testing.T, p, s string) { Match(p, s) })
}
