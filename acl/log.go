package acl

import (
	"sync"
	"time"
)

// Reasons and contexts as ACL LOG names them.
const (
	ContextToplevel = "toplevel"
)

// LogEntry is one ACL LOG entry.
type LogEntry struct {
	Count      int64
	Reason     string // command, key, channel, auth
	Context    string
	Object     string // the command, channel, or the AUTH command as sent
	Username   string
	Time       time.Time // of the last occurrence
	ClientInfo string    // CLIENT LIST line of the last client
}

// groupWindow: a denial like one of the last ten within a minute only
// bumps that entry's count (ACL_LOG_GROUPING_MAX_TIME_DELTA).
const groupWindow = 60 * time.Second

// Log is the ACL LOG: newest first, at most maxLen entries.
type Log struct {
	mu      sync.Mutex
	maxLen  int
	entries []*LogEntry
}

func newLog(maxLen int) *Log { return &Log{maxLen: maxLen} }

// ReasonOf names a denial as ACL LOG does.
func ReasonOf(r Result) string {
	switch r {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "unknown"
}

// Add records a denial (addACLLogEntry).
func (l *Log) Add(e LogEntry) {
	e.Count = 1
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < 10; i++ {
		cur := l.entries[i]
		d := cur.Time.Sub(e.Time)
		if d < 0 {
			d = -d
		}
		if cur.Reason == e.Reason && cur.Context == e.Context && d <= groupWindow &&
			cur.Object == e.Object && cur.Username == e.Username {
			cur.Count++
			cur.Time, cur.ClientInfo = e.Time, e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = cur
			return
		}
	}
	l.entries = append([]*LogEntry{&e}, l.entries...)
	if len(l.entries) > l.maxLen {
		l.entries = l.entries[:l.maxLen]
	}
}

// Entries returns copies of the newest n entries.
func (l *Log) Entries(n int) []LogEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	n = max(0, min(n, len(l.entries)))
	out := make([]LogEntry, n)
	for i := range n {
		out[i] = *l.entries[i]
	}
	return out
}

// Reset empties the log (ACL LOG RESET).
func (l *Log) Reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}
