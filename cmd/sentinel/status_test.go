package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSentinel answers the SENTINEL commands `sentinel status` sends with
// one master, no replica and one peer that has voted for nobody (what
// redis-sentinel reports as voted-leader "?" in epoch 0).
func fakeSentinel(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	flat := func(kv ...string) string {
		s := fmt.Sprintf("*%d\r\n", len(kv))
		for _, x := range kv {
			s += fmt.Sprintf("$%d\r\n%s\r\n", len(x), x)
		}
		return s
	}
	master := flat("name", "7", "ip", "127.0.0.1", "port", "6379", "flags", "master", "quorum", "2", "config-epoch", "3")
	peer := flat("name", "127.0.0.1:26380,abc", "ip", "127.0.0.1", "port", "26380", "flags", "sentinel",
		"voted-leader", "?", "voted-leader-epoch", "0")
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					args, err := readArray(br)
					if err != nil {
						return
					}
					reply := "+OK\r\n"
					if len(args) >= 2 && strings.EqualFold(args[0], "SENTINEL") {
						switch strings.ToUpper(args[1]) {
						case "MASTERS":
							reply = "*1\r\n" + master
						case "SENTINELS":
							reply = "*1\r\n" + peer
						default:
							reply = "*0\r\n"
						}
					}
					if _, err := io.WriteString(c, reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// readArray reads one RESP array of bulk strings.
func readArray(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil {
		return nil, err
	}
	var args []string
	for range n {
		if _, err := br.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		arg, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args = append(args, strings.TrimSuffix(arg, "\r\n"))
	}
	return args, nil
}

// --watch into a pipe or a file: refreshes, but no clear-screen codes.
func TestStatusWatchNoEscapesOutsideTerminal(t *testing.T) {
	addr := fakeSentinel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 350*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	if code := status(ctx, []string{"--addr", addr, "--watch", "100ms"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "\033") {
		t.Errorf("escape codes in non-terminal output: %q", out.String())
	}
	if strings.Count(out.String(), "MASTER ") < 2 {
		t.Errorf("fewer than two refreshes:\n%s", out.String())
	}
}

// The table says "no vote known" for redis's "?" in epoch 0.
func TestStatusTableVote(t *testing.T) {
	addr := fakeSentinel(t)
	var out, errOut bytes.Buffer
	if code := status(context.Background(), []string{"--addr", addr}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if strings.Contains(out.String(), "voted ?") || !strings.Contains(out.String(), "no vote known") {
		t.Errorf("table:\n%s", out.String())
	}
	if got := voteNote(map[string]string{"voted-leader": "0123456789abcdef", "voted-leader-epoch": "4"}); got != "voted 01234567 in epoch 4" {
		t.Errorf("voteNote = %q", got)
	}
}

// --json: numbers are JSON numbers; names, addresses and flags stay text
// even when they look like numbers (the master here is named "7").
func TestStatusJSONNumbers(t *testing.T) {
	addr := fakeSentinel(t)
	var out, errOut bytes.Buffer
	if code := status(context.Background(), []string{"--addr", addr, "--json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc []struct {
		Name      string           `json:"name"`
		Master    map[string]any   `json:"master"`
		Sentinels []map[string]any `json:"sentinels"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	m := doc[0].Master
	if _, ok := m["port"].(float64); !ok {
		t.Errorf("port is %T, want a number: %s", m["port"], out.String())
	}
	if _, ok := m["config-epoch"].(float64); !ok {
		t.Errorf("config-epoch is %T, want a number", m["config-epoch"])
	}
	if m["name"] != "7" || doc[0].Name != "7" || m["ip"] != "127.0.0.1" {
		t.Errorf("text fields: %v", m)
	}
	if s := doc[0].Sentinels[0]; s["voted-leader"] != "?" || s["voted-leader-epoch"] != float64(0) {
		t.Errorf("sentinel: %v", s)
	}
}
