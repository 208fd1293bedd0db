package sentinelconf

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/directives.md from the classification table")

// Every directive redis-server 7.0 knows is classified, and nothing else
// is: a directive added to redisDirectives without a decision fails here
// instead of being silently accepted.
func TestEveryDirectiveClassified(t *testing.T) {
	known := map[string]bool{}
	for n := range redisDirectives {
		known[n] = true
	}
	for _, n := range otherDirectives {
		known[n] = true
	}
	for n := range known {
		c, ok := directiveClasses[n]
		switch {
		case !ok:
			t.Errorf("%s: not classified", n)
		case c.effect < enforced || c.effect > refused:
			t.Errorf("%s: bad effect %d", n, c.effect)
		case c.why == "":
			t.Errorf("%s: no reason", n)
		case c.effect == refused && len(c.accept) == 0 && c.acceptFn == nil:
			t.Errorf("%s: refused with no accepted value", n)
		}
	}
	for n := range directiveClasses {
		if !known[n] {
			t.Errorf("%s: classified but not a redis directive", n)
		}
	}
}

// The parser reaches its classification for every directive: a refused
// one with a value redis-sentinel would act on fails the start, with the
// reason, whatever its kind.
func TestRefusedDirectivesFailTheStart(t *testing.T) {
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{"set-proc-title yes", false},
		{"set-proc-title no", true},
		{"proc-title-template \"{title}\"", false},
		{"always-show-logo yes", false},
		{"always-show-logo no", true},
		{"replicaof 127.0.0.1 6379", false},
		{"slaveof no one", true},
		{"cluster-enabled yes", false},
		{"appendonly yes", false},
		{"save 60 0", false},
		{"save 3600 1 300 100", true},
		{`save ""`, true},
		{"server_cpulist 0-1", false},
		{"watchdog-period 100", false},
		{"maxmemory-clients 10mb", false},
		{"crash-log-enabled no", false},
		{"crash-log-enabled yes", true},
		{"tls-protocols \"TLSv1 TLSv1.2\"", false},
		{"tls-ciphers DEFAULT", false},
		{"tls-session-caching no", false},
		{"unixsocketperm 700", true},
		{"client-output-buffer-limit normal 1mb 0 0", true},
		{"client-output-buffer-limit replica 1mb 0 0", true},
		{"hz 100", true},
		{"io-threads 4", true},
		{"latency-tracking yes", true},
		{"loadmodule /x.so", true},
	} {
		_, err := Parse("x.conf", []byte("port 26379\n"+tc.line+"\n"))
		var ce *ConfigError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v, want accepted", tc.line, err)
		case !tc.ok && (!errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(ce.Reason, "not supported by this sentinel")):
			t.Errorf("%s: %v, want refused at line 2 with a reason", tc.line, err)
		}
	}
}

func TestClientDirectives(t *testing.T) {
	f, err := Parse("x.conf", []byte(`maxclients 2
timeout 7
tcp-keepalive 0
tcp-backlog 100
proto-max-bulk-len 2mb
client-query-buffer-limit 1gb
client-output-buffer-limit normal 1mb 2k 3 replica 1 1 1 pubsub 1kb 512 5
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Clients{MaxClients: 2, Timeout: 7 * time.Second, TCPBacklog: 100, MaxBulk: 2 << 20,
		QueryBufferLimit: 1 << 30, PubSub: BufferLimit{Hard: 1024, Soft: 512, SoftSeconds: 5},
		Normal: BufferLimit{Hard: 1 << 20, Soft: 2000, SoftSeconds: 3}}
	if got := f.Server.Clients; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := mustParse(t, "").Server.Clients; fmt.Sprint(got) != fmt.Sprint(defaultClients()) {
		t.Errorf("defaults %+v", got)
	}
	// redis 7.0.15's own error texts.
	for line, reason := range map[string]string{
		"maxclients 0":                             "argument must be between 1 and 4294967295 inclusive",
		"maxclients 1k":                            "argument couldn't be parsed into an integer",
		"timeout -1":                               "argument must be between 0 and 2147483647 inclusive",
		"proto-max-bulk-len 1":                     "argument must be between 1048576 and 9223372036854775807 inclusive",
		"proto-max-bulk-len x":                     "argument must be a memory value",
		"client-query-buffer-limit 10":             "argument must be between 1048576 and 9223372036854775807 inclusive",
		"client-output-buffer-limit pubsub 1 0":    "Wrong number of arguments in buffer limit configuration.",
		"client-output-buffer-limit foo 1 1 1":     "Invalid client class specified in buffer limit configuration.",
		"client-output-buffer-limit pubsub x 1 1":  "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"client-output-buffer-limit pubsub 1 1 -1": "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"rename-command set foo":                   "No such command in rename-command",
		"rename-command ping info":                 "Target command name already exists",
	} {
		_, err := Parse("x.conf", []byte(line+"\n"))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Reason != reason {
			t.Errorf("%s: %v, want %q", line, err, reason)
		}
	}
}

func mustParse(t *testing.T, text string) *File {
	t.Helper()
	f, err := Parse("x.conf", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// tls-protocols sets the range of versions on both sides.
func TestTLSProtocols(t *testing.T) {
	f := mustParse(t, "tls-protocols \"TLSv1.1 tlsv1.2\"\n")
	if lo, hi := f.Server.TLS.versions(); lo != 0x0302 || hi != 0x0303 {
		t.Errorf("versions %x-%x", lo, hi)
	}
	if lo, hi := mustParse(t, "").Server.TLS.versions(); lo != 0x0303 || hi != 0x0304 {
		t.Errorf("default versions %x-%x", lo, hi)
	}
	if _, err := Parse("x.conf", []byte("tls-protocols SSLv3\n")); err == nil || !strings.Contains(err.Error(), "Invalid tls-protocols") {
		t.Errorf("SSLv3: %v", err)
	}
}

// rename-command lines chain as in redis: the second one renames the
// command by the name the first gave it.
func TestRenameCommandChain(t *testing.T) {
	f := mustParse(t, "rename-command ping foo\nrename-command FOO bar\nrename-command sentinel \"\"\n")
	want := map[string]string{"ping": "bar", "sentinel": ""}
	if fmt.Sprint(f.Server.Clients.Renames) != fmt.Sprint(want) {
		t.Errorf("renames %v, want %v", f.Server.Clients.Renames, want)
	}
	if _, err := Parse("x.conf", []byte("rename-command ping foo\nrename-command ping bar\n")); err == nil {
		t.Error("renaming a command by a name it no longer has: want an error")
	}
}

// docs/directives.md is the classification table; -update rewrites it.
func TestDirectivesDoc(t *testing.T) {
	const path = "../docs/directives.md"
	doc := renderDirectivesDoc()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != doc {
		t.Error("docs/directives.md is stale: go test ./sentinelconf -run TestDirectivesDoc -args -update")
	}
}

func renderDirectivesDoc() string {
	var b strings.Builder
	b.WriteString(docIntro)
	names := make([]string, 0, len(directiveClasses))
	for n := range directiveClasses {
		names = append(names, n)
	}
	sort.Strings(names)
	b.WriteString("| directive | in redis-sentinel 7.0.15 (and why) | ours |\n|---|---|---|\n")
	for _, n := range names {
		c := directiveClasses[n]
		ours := c.effect.String()
		if c.effect == refused {
			switch {
			case len(c.accept) > 0:
				ours = "refused, except " + strings.Join(quoteAll(c.accept), ", ")
			case c.acceptFn != nil:
				ours = "refused when redis-sentinel would act on it"
			default:
				ours = "refused"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, strings.ReplaceAll(c.why, "|", "\\|"), ours)
	}
	b.WriteString(docOutro)
	return b.String()
}

const docIntro = `# redis-server directives in a sentinel config

redis-sentinel is redis-server in sentinel mode: it accepts every directive
of redis-server 7.0's config.c in its config file. Most mean nothing to a
sentinel process (no keyspace, no persistence, no replication), some do.
Our rule is never to accept and ignore: each directive is either

- **enforced**: we do what redis-sentinel does with it;
- **accepted as redis does**: it has no effect in redis-sentinel either;
- **refused**: redis-sentinel acts on it and we do not. Values under which
  redis-sentinel behaves as we do are accepted (listed); any other value
  fails the start with redis's ` + "`FATAL CONFIG FILE ERROR`" + ` banner and the
  reason, e.g. ` + "`'set-proc-title' is not supported by this sentinel: ...`" + `.

This file is generated from ` + "`sentinelconf/classify.go`" + ` by
` + "`go test ./sentinelconf -run TestDirectivesDoc -args -update`" + `;
` + "`TestEveryDirectiveClassified`" + ` fails when a directive has no entry.
Behaviours were checked against the installed redis-sentinel 7.0.15 where
observable (for instance ` + "`replicaof`" + ` really makes it replicate,
` + "`cluster-enabled yes`" + ` starts it in cluster mode, ` + "`save 1 0`" + ` writes an empty
dump.rdb, ` + "`rename-command`" + ` renames its own commands and refuses unknown ones).

`

const docOutro = `
## Notes, and defaults that differ

- ` + "`client-query-buffer-limit`" + `: without the directive ours is 64mb (redis: 1gb);
  a sentinel request is a few kilobytes. Set explicitly, the value is used.
- ` + "`set-proc-title`" + ` is yes by default in redis: redis-sentinel shows
  ` + "`redis-sentinel *:26379 [sentinel]`" + ` in ps; ours keeps its command line.
- ` + "`client-output-buffer-limit pubsub`" + ` counts the bytes of queued events (payload,
  channel and RESP framing); what the kernel socket buffer holds is not
  counted, as in redis. A queue of 4096 events also bounds a subscriber.
  Events are cut to 1023 bytes as redis-sentinel's are.
- ` + "`client-output-buffer-limit normal`" + ` counts every unwritten byte of a client's
  replies; redis leaves its first 16 kB reply buffer out, so ours closes
  a client at most 16 kB earlier. Replies go out before the next read of
  the socket, so what waits is at most the answers to one read's requests.
- A client that must still authenticate is closed once more than 16 kB of
  its replies wait (100k pipelined wrong AUTHs end after some 250), as
  redis 7.0.15 with the fix of CVE-2025-21605 does, whatever the normal
  class says.
- ` + "`rename-command`" + ` also applies to COMMAND (INFO, DOCS, COUNT, LIST) as in redis;
  ACL rules keep naming commands by their original names, as in redis.
- ` + "`unixsocket`" + `: clients on the socket show ` + "`addr=<path>:0`" + ` and flag U; with
  ` + "`port 0`" + ` only the socket is served.

## YAML configs

The YAML form (` + "`sentinel.example.yaml`" + `) has no free-form directives:
unknown keys fail the start. Keys for the directives above:
` + "`port`, `bind`, `dir`, `pidfile`, `logfile`, `loglevel`, `requirepass`, `protected_mode`, `daemonize`, `supervised`, `maxclients`, `timeout`, `tls_*`" + `;
the others take redis's defaults.

ACL SETUSER and ACL DELUSER are refused under a YAML config ("users cannot
be changed at run time with a YAML config ..."): the JSON state file keeps
the monitor's state only, so such a change would be lost on restart.
`
