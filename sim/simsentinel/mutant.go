package simsentinel

// hearUnheard plants MutantCountUnheardReplicas from the driver: every
// subjectively down replica that never answered our INFO is marked as
// heard (its creation time), so that failover's replicaDown counts it as
// the code before the fix counted every replica. Only down replicas are
// touched: replica selection skips them anyway.
func (g *group) hearUnheard() {
	for _, r := range g.m.Replicas {
		if r.Down() && r.InfoRefresh.IsZero() {
			r.InfoRefresh = r.Created
		}
	}
}
