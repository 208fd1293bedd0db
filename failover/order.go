package failover

// Nodes lists the master, its replicas and its peers, each group in name
// order. The list is cached until the machine's instances change, because
// the tick walks it ten times a second for every master; map order would
// also make the simulator's runs differ for one seed. Do not change it.
func (m *Machine) Nodes() []*Node {
	if m.order == nil {
		m.order = append(m.order, m.Master)
		m.order = AppendSorted(m.order, m.Replicas)
		m.order = AppendSorted(m.order, m.Sentinels)
		m.replicaOrder = m.order[1 : 1+len(m.Replicas)]
		m.peerOrder = m.order[1+len(m.Replicas):]
	}
	return m.order
}

// SortedReplicas lists the replicas in name order (cached like Nodes).
func (m *Machine) SortedReplicas() []*Node {
	m.Nodes()
	return m.replicaOrder
}

// SortedPeers lists the peers in run id order (cached like Nodes).
func (m *Machine) SortedPeers() []*Node {
	m.Nodes()
	return m.peerOrder
}

// changed forgets the cached order after an instance was added or removed.
func (m *Machine) changed() { m.order, m.replicaOrder, m.peerOrder = nil, nil, nil }
