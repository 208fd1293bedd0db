package failover

// State is redis-sentinel's failover state machine position
// (SENTINEL_FAILOVER_STATE_*), shown as failover-state in views.
type State int

// Failover states, in redis-sentinel's order: a failover only moves
// forward through them, or back to StateNone when it ends or aborts.
const (
	StateNone State = iota
	StateWaitStart
	StateSelectSlave
	StateSendSlaveofNoOne
	StateWaitPromotion
	StateReconfSlaves
	StateUpdateConfig
)

func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateWaitStart:
		return "wait_start"
	case StateSelectSlave:
		return "select_slave"
	case StateSendSlaveofNoOne:
		return "send_slaveof_noone"
	case StateWaitPromotion:
		return "wait_promotion"
	case StateReconfSlaves:
		return "reconf_slaves"
	case StateUpdateConfig:
		return "update_config"
	}
	return "unknown"
}
