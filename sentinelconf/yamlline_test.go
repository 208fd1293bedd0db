package sentinelconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A YAML error names the line of the key at fault: top-level keys, keys of
// a master, a master without host, a hook, unknown keys and wrong types.
func TestYAMLErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"port: 26379\nloglevel: loud\n", `, line 2: loglevel: "loud" must be one of`},
		{"port: 26379\nmasters:\n  - name: m\n    host: 127.0.0.1\n    port: x\n", `, line 5: masters[0] (m): port: "x" is not a number`},
		{"masters:\n  - name: m\n    host: 127.0.0.1\n  - name: n\n    quorum: 2\n", ", line 4: masters[1] (n): host is required"},
		{"masters:\n  - name: m\n    host: 127.0.0.1\n    qourum: 2\n", `, line 4: masters[0] (m): unknown key "qourum"`},
		{"port: 1\nhooks:\n  - event: x\n", ", line 3: hooks[0]: event and command"},
		{"port: abc\n", "line 1: 'port' cannot parse"},
		{"masters:\n  - name: m\n    host: 127.0.0.1\n    port: 6379\n", ", line 2: monitor m: quorum must be 1 or greater"},
		{"masters:\n  - {name: m, host: 127.0.0.1, quorum: 1}\n  - {name: m, host: 127.0.0.1, quorum: 1}\n", ", line 3: monitor m: duplicate master name"},
		{"port: 1\n\nbogus: 1\n", "line 3: '' has invalid keys: bogus"},
	} {
		path := filepath.Join(t.TempDir(), "sentinel.yaml")
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadYAML(path, "")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%q: err = %v, want %q", c.text, err, c.want)
		}
	}
}
