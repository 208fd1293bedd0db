package cluster

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Message is one pub/sub message (RESP2 "message"/"pmessage" array or
// RESP3 push).
type Message struct {
	Pattern string // set for pmessage
	Channel string
	Payload string
	At      time.Time
}

func (m Message) String() string { return m.Channel + " " + m.Payload }

// Subscription collects every message published on a connection that
// SUBSCRIBEd or PSUBSCRIBEd, from a goroutine, so tests can wait for an
// event that may already have happened.
type Subscription struct {
	conn *Conn

	mu     sync.Mutex
	msgs   []Message
	err    error
	notify chan struct{} // closed and replaced on every new message
	done   chan struct{}
}

// Subscribe connects to addr and subscribes to channels; a channel
// containing a glob character ("*", "?", "[") is PSUBSCRIBEd instead.
// It returns after every subscription was confirmed; the connection is
// closed at cleanup.
func Subscribe(t TB, addr string, channels ...string) *Subscription {
	t.Helper()
	s, err := subscribe(addr, channels)
	if err != nil {
		t.Fatalf("subscribe %v on %s: %v", channels, addr, err)
	}
	t.Cleanup(s.Close)
	return s
}

func subscribe(addr string, channels []string) (*Subscription, error) {
	c, err := Dial(addr)
	if err != nil {
		return nil, err
	}
	// Events of the channels already subscribed can come before the
	// next confirmation (masters failing over while a bench sets up):
	// they are kept, not taken for the reply.
	var early []Message
	for _, ch := range channels {
		cmd := "SUBSCRIBE"
		if strings.ContainsAny(ch, "*?[") {
			cmd = "PSUBSCRIBE"
		}
		v, err := c.Do(cmd, ch)
		for err == nil {
			m, ok := toMessage(v)
			if !ok {
				break
			}
			m.At = time.Now()
			early = append(early, m)
			v, _, err = c.ReadRaw(c.Timeout)
		}
		if err != nil || v.IsError() || len(v.Elems) != 3 || !strings.EqualFold(v.Elems[0].Text(), cmd) {
			c.Close()
			return nil, fmt.Errorf("%s %s: reply %v, err %v", cmd, ch, v, err)
		}
	}
	s := &Subscription{conn: c, msgs: early, notify: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	return s, nil
}

func (s *Subscription) loop() {
	defer close(s.done)
	for {
		// No deadline: the connection waits for events until Close.
		s.conn.nc.SetReadDeadline(time.Time{})
		v, err := s.conn.r.ReadValue()
		s.mu.Lock()
		if err != nil {
			s.err = err
			close(s.notify)
			s.mu.Unlock()
			return
		}
		if m, ok := toMessage(v); ok {
			m.At = time.Now()
			s.msgs = append(s.msgs, m)
			close(s.notify)
			s.notify = make(chan struct{})
		}
		s.mu.Unlock()
	}
}

func toMessage(v Value) (Message, bool) {
	if v.Kind != Array && v.Kind != Push {
		return Message{}, false
	}
	e := v.Strings()
	switch {
	case len(e) == 3 && e[0] == "message":
		return Message{Channel: e[1], Payload: e[2]}, true
	case len(e) == 4 && e[0] == "pmessage":
		return Message{Pattern: e[1], Channel: e[2], Payload: e[3]}, true
	}
	return Message{}, false
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.conn.Close()
	<-s.done
}

// Messages returns every message received so far.
func (s *Subscription) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait returns the first message (received before or after the call)
// for which match is true, or an error after timeout.
func (s *Subscription) Wait(timeout time.Duration, match func(Message) bool) (Message, error) {
	deadline := time.After(timeout)
	seen := 0
	for {
		s.mu.Lock()
		msgs, notify, err := s.msgs[seen:], s.notify, s.err
		seen = len(s.msgs)
		s.mu.Unlock()
		for _, m := range msgs {
			if match(m) {
				return m, nil
			}
		}
		if err != nil {
			return Message{}, fmt.Errorf("subscription ended: %w", err)
		}
		select {
		case <-notify:
		case <-deadline:
			return Message{}, fmt.Errorf("no matching message within %v (got %d messages)", timeout, seen)
		}
	}
}

// WaitChannel waits for a message on channel whose payload contains sub.
func (s *Subscription) WaitChannel(timeout time.Duration, channel, sub string) (Message, error) {
	return s.Wait(timeout, func(m Message) bool {
		return m.Channel == channel && strings.Contains(m.Payload, sub)
	})
}
