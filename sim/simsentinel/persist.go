package simsentinel

import (
	"encoding/json"
	"fmt"

	"github.com/qsentinel/qsentinel/failover"
	"github.com/qsentinel/qsentinel/sim"
)

// stateFile is the sentinel's config on its disk.
const stateFile = "sentinel.json"

// state is what a sentinel saves: what sentinel.conf's rewrite keeps.
type state struct {
	MyID         string
	CurrentEpoch uint64
	Masters      []masterState
}

type masterState struct {
	Name string
	failover.Persisted
}

func initialState(ep *sim.Endpoint, opts Options) state {
	st := state{MyID: fmt.Sprintf("%016x%016x%08x", ep.Rand().Uint64(), ep.Rand().Uint64(), ep.Rand().Uint32())}
	for _, m := range opts.Masters {
		st.Masters = append(st.Masters, masterState{Name: m.Name, Persisted: failover.Persisted{
			Addr: failover.Addr{Host: m.Addr.Host, Port: m.Addr.Port},
		}})
	}
	return st
}

func load(d *sim.Disk) (state, bool) {
	b, ok := d.ReadFile(stateFile)
	if !ok {
		return state{}, false
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return state{}, false
	}
	return st, true
}

// save writes the whole state at once, as the config rewrite does.
func (n *Node) save() { n.ep.Disk().WriteFile(stateFile, n.marshal()) }

// marshal is the whole state as saved.
func (n *Node) marshal() []byte {
	st := state{MyID: n.env.MyID, CurrentEpoch: n.env.Epochs.Current()}
	for _, g := range n.groups {
		st.Masters = append(st.Masters, masterState{Name: g.name, Persisted: g.m.Persisted()})
	}
	b, err := json.Marshal(st)
	if err != nil {
		panic(err) // plain structs: cannot fail
	}
	return b
}
