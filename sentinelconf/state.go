package sentinelconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"github.com/qsentinel/qsentinel/atomicfile"
	"github.com/qsentinel/qsentinel/sentinel"
)

// stateFile is the JSON written by StateStore. With a YAML config the
// operator's file is never rewritten; what redis-sentinel would add to its
// .conf (ids, epochs, discovered instances, the master's address after a
// failover) goes here instead.
type stateFile struct {
	MyID         string        `json:"myid,omitempty"`
	CurrentEpoch uint64        `json:"current_epoch"`
	Masters      []stateMaster `json:"masters"`
}

type stateMaster struct {
	Name           string          `json:"name"`
	Addr           stateAddr       `json:"addr"` // current master address, follows failovers
	ConfigEpoch    uint64          `json:"config_epoch"`
	LeaderEpoch    uint64          `json:"leader_epoch"`
	KnownReplicas  []stateAddr     `json:"known_replicas,omitempty"`
	KnownSentinels []stateSentinel `json:"known_sentinels,omitempty"`
}

type stateAddr struct {
	Host string `json:"host"`
	Port int    `json:"port"`
}

type stateSentinel struct {
	stateAddr
	RunID string `json:"runid"`
}

// LoadState merges the state file at path into cfg. A missing file is not
// an error (first start). State of masters that cfg no longer monitors is
// dropped: the operator removed them from the config.
func LoadState(path string, cfg *sentinel.Config) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("state file %s: %w", path, err)
	}
	if st.MyID != "" {
		if !sentinel.ValidRunID(st.MyID) {
			return fmt.Errorf("state file %s: myid %q is not 40 hex characters", path, st.MyID)
		}
		cfg.MyID = st.MyID
	}
	cfg.CurrentEpoch = max(cfg.CurrentEpoch, st.CurrentEpoch)
	for _, sm := range st.Masters {
		for i := range cfg.Masters {
			m := &cfg.Masters[i]
			if m.Name != sm.Name {
				continue
			}
			if sm.Addr.Host != "" {
				m.Addr = sentinel.Addr{Host: sm.Addr.Host, Port: sm.Addr.Port}
			}
			m.ConfigEpoch, m.LeaderEpoch = sm.ConfigEpoch, sm.LeaderEpoch
			cfg.CurrentEpoch = max(cfg.CurrentEpoch, m.ConfigEpoch)
			m.KnownReplicas = nil
			for _, r := range sm.KnownReplicas {
				m.KnownReplicas = append(m.KnownReplicas, sentinel.Addr{Host: r.Host, Port: r.Port})
			}
			m.KnownSentinels = nil
			for _, s := range sm.KnownSentinels {
				m.KnownSentinels = append(m.KnownSentinels, sentinel.KnownSentinel{
					Addr: sentinel.Addr{Host: s.Host, Port: s.Port}, RunID: s.RunID,
				})
			}
		}
	}
	return nil
}

// StateStore persists the sentinel state as JSON (see LoadState).
type StateStore struct {
	Path string

	mu sync.Mutex // one write at a time
}

// Save writes the state file atomically.
func (s *StateStore) Save(cfg *sentinel.Config) error {
	st := stateFile{MyID: cfg.MyID, CurrentEpoch: cfg.CurrentEpoch, Masters: []stateMaster{}}
	for _, m := range cfg.Masters {
		sm := stateMaster{
			Name:        m.Name,
			Addr:        stateAddr{m.Addr.Host, m.Addr.Port},
			ConfigEpoch: m.ConfigEpoch,
			LeaderEpoch: m.LeaderEpoch,
		}
		for _, r := range m.KnownReplicas {
			sm.KnownReplicas = append(sm.KnownReplicas, stateAddr{r.Host, r.Port})
		}
		for _, k := range m.KnownSentinels {
			sm.KnownSentinels = append(sm.KnownSentinels, stateSentinel{stateAddr{k.Addr.Host, k.Addr.Port}, k.RunID})
		}
		st.Masters = append(st.Masters, sm)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := atomicfile.Write(s.Path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("state file %s: %w", s.Path, err)
	}
	return nil
}
