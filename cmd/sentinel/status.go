package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qsentinel/qsentinel/redislink"
)

// statusMaster is one master of `sentinel status`, as SENTINEL MASTER,
// REPLICAS and SENTINELS report it.
type statusMaster struct {
	Name      string              `json:"name"`
	Offset    int64               `json:"master_repl_offset"` // from the master's last INFO; -1 unknown
	Master    map[string]string   `json:"master"`
	Replicas  []map[string]string `json:"replicas"`
	Sentinels []map[string]string `json:"sentinels"`
}

// status is `sentinel status`: a readable view of a running instance
// (ours or redis-sentinel: it only uses SENTINEL commands).
// It stops when ctx ends (--watch runs until then).
func status(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:26379", "sentinel address")
	pass := fs.String("password", "", "requirepass of the sentinel")
	user := fs.String("user", "", "ACL user of the sentinel")
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Duration("watch", 0, "refresh every interval (e.g. 1s) until interrupted")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "sentinel status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	// Clear the screen between refreshes only on a terminal: in a pipe or
	// a file the escape codes are garbage between the tables.
	clear := isTerminal(stdout)
	host, portText, err := net.SplitHostPort(*addr)
	port, perr := strconv.Atoi(portText)
	if err != nil || perr != nil || port <= 0 || port > 65535 {
		fmt.Fprintf(stderr, "sentinel status: bad -addr %q: want host:port\n", *addr)
		return 2
	}
	// Our own command link, not go-redis: the daemon does not need
	// go-redis, and linking it for this command alone made every
	// sentinel's binary (and so its resident memory) larger.
	c := redislink.RedisDialer{}.Dial(redislink.ConnOptions{Addr: net.JoinHostPort(host, strconv.Itoa(port)),
		Username: *user, Password: *pass, Timeout: 2 * time.Second})
	defer c.Close()
	for {
		ms, err := collectStatus(ctx, c)
		if err != nil {
			fmt.Fprintf(stderr, "sentinel status: %s: %v\n", *addr, err)
			if *watch == 0 {
				return 1
			}
		} else if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(statusJSON(ms)); err != nil {
				fmt.Fprintf(stderr, "sentinel status: %v\n", err)
				return 1
			}
		} else {
			if *watch > 0 {
				if clear {
					fmt.Fprint(stdout, "\033[H\033[2J")
				}
				fmt.Fprintf(stdout, "%s  %s  (every %v)\n\n", *addr, time.Now().Format(time.TimeOnly), *watch)
			}
			printStatus(stdout, ms)
		}
		if *watch == 0 {
			return 0
		}
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(*watch):
		}
	}
}

func collectStatus(ctx context.Context, c redislink.Conn) ([]statusMaster, error) {
	raw, err := doSlice(ctx, c, "SENTINEL", "MASTERS")
	if err != nil {
		return nil, err
	}
	var out []statusMaster
	for _, r := range raw {
		m := fieldMap(r)
		sm := statusMaster{Name: m["name"], Master: m, Offset: -1}
		// The master's own replication offset, from the INFO the sentinel
		// cached, gives each replica's lag in bytes.
		if ic, err := doSlice(ctx, c, "SENTINEL", "INFO-CACHE", sm.Name); err == nil && len(ic) == 2 {
			if insts, ok := ic[1].([]any); ok && len(insts) > 0 {
				if pair, ok := insts[0].([]any); ok && len(pair) == 2 {
					if text, ok := pair[1].(string); ok {
						sm.Offset = infoInt(text, "master_repl_offset")
					}
				}
			}
		}
		reps, err := doSlice(ctx, c, "SENTINEL", "REPLICAS", sm.Name)
		if err != nil {
			return nil, err
		}
		for _, x := range reps {
			sm.Replicas = append(sm.Replicas, fieldMap(x))
		}
		sents, err := doSlice(ctx, c, "SENTINEL", "SENTINELS", sm.Name)
		if err != nil {
			return nil, err
		}
		for _, x := range sents {
			sm.Sentinels = append(sm.Sentinels, fieldMap(x))
		}
		out = append(out, sm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// doSlice runs one command whose reply must be an array.
func doSlice(ctx context.Context, c redislink.Conn, args ...any) ([]any, error) {
	v, err := c.Do(ctx, args...)
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%v: unexpected reply %v", args, v)
	}
	return arr, nil
}

// fieldMap reads a flat [k, v, k, v, ...] reply (RESP2) or a map (RESP3).
func fieldMap(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case []any:
		for i := 0; i+1 < len(x); i += 2 {
			out[fmt.Sprint(x[i])] = fmt.Sprint(x[i+1])
		}
	case map[any]any:
		for k, val := range x {
			out[fmt.Sprint(k)] = fmt.Sprint(val)
		}
	}
	return out
}

func printStatus(w io.Writer, ms []statusMaster) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MASTER\tROLE\tADDRESS\tFLAGS\tLINK\tLAG(bytes)\tCONFIG-EPOCH\tQUORUM\tNOTE")
	for _, m := range ms {
		mm := m.Master
		fmt.Fprintf(tw, "%s\tmaster\t%s:%s\t%s\t\t\t%s\t%s\t%d sentinels, %d replicas\n", m.Name, mm["ip"], mm["port"],
			mm["flags"], mm["config-epoch"], mm["quorum"], len(m.Sentinels)+1, len(m.Replicas))
		for _, r := range m.Replicas {
			lag := "?"
			if off, err := strconv.ParseInt(r["slave-repl-offset"], 10, 64); err == nil && m.Offset >= 0 {
				lag = strconv.FormatInt(max(m.Offset-off, 0), 10)
			}
			fmt.Fprintf(tw, "\treplica\t%s:%s\t%s\t%s\t%s\t\t\tpriority %s\n", r["ip"], r["port"], r["flags"],
				r["master-link-status"], lag, r["slave-priority"])
		}
		for _, s := range m.Sentinels {
			fmt.Fprintf(tw, "\tsentinel\t%s:%s\t%s\t\t\t\t\t%s\n", s["ip"], s["port"], s["flags"], voteNote(s))
		}
	}
	tw.Flush()
}

// infoInt reads one integer field of an INFO text; -1 when absent.
func infoInt(info, key string) int64 {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), key+":"); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// voteNote is what a peer last voted for, as SENTINEL SENTINELS reports
// it: "?" (epoch 0) is redis's "no vote known", not a leader.
func voteNote(s map[string]string) string {
	leader := strings.TrimSpace(s["voted-leader"])
	if leader == "" || leader == "?" {
		return "no vote known"
	}
	return fmt.Sprintf("voted %s in epoch %s", shortID(leader), s["voted-leader-epoch"])
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return strings.TrimSpace(id)
}
