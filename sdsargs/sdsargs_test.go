package sdsargs

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  bool
	}{
		{`a b  c`, []string{"a", "b", "c"}, false},
		{`"a b" 'c d'`, []string{"a b", "c d"}, false},
		{`"\x41\x4a\n\t\"q\\"`, []string{"AJ\n\t\"q\\"}, false},
		{`"\xZZ"`, []string{"xZZ"}, false},
		{`'it\'s' x`, []string{"it's", "x"}, false},
		{`""`, []string{""}, false},
		{`a"b"`, []string{`ab`}, false},
		{`"abc`, nil, true},
		{`"abc"d`, nil, true},
		{`'abc`, nil, true},
		{"   ", nil, false},
		{"a\x00b c", []string{"a"}, false},
	}
	for _, c := range cases {
		got, err := Split(c.in)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, %v; want %q, err=%v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "pa ss", `q"uote`, "it's", "tab\there", "\x00\xff", `back\slash`, "#hash"} {
		got, err := Split("x " + Quote(s))
		if err != nil || len(got) != 2 || got[1] != s {
			t.Errorf("Quote(%q) = %s reads back as %q, %v", s, Quote(s), got, err)
		}
	}
}

// AppendQuote is Quote appended, and allocates nothing for a plain word.
func TestAppendQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "pa ss", `q"uote`, "it's", "tab\there", "\x00\xff", `back\slash`, "#hash"} {
		if got := string(AppendQuote([]byte("x "), s)); got != "x "+Quote(s) {
			t.Errorf("AppendQuote(%q) = %q, want %q", s, got, "x "+Quote(s))
		}
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { buf = AppendQuote(buf[:0], "127.0.0.1") }); n != 0 {
		t.Errorf("AppendQuote of a plain word: %v allocations", n)
	}
}
