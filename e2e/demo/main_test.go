package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// TestDemoShort runs the README demo with two ports: one port of machine A
// fails over, every process is gone afterwards.
func TestDemoShort(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, 2, &out); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "summary: 1 of 1 ports of machine A failed over") {
		t.Fatalf("no summary:\n%s", text)
	}
	if !strings.Contains(text, "rejoined as replica") {
		t.Errorf("old master did not rejoin:\n%s", text)
	}
	// Every address the demo printed is closed again.
	for _, addr := range regexp.MustCompile(`127\.0\.0\.1:\d+`).FindAllString(text, -1) {
		if c, err := cluster.Dial(addr); err == nil {
			c.Close()
			t.Errorf("%s still answers after the demo", addr)
		}
	}
	t.Log(text)
}
