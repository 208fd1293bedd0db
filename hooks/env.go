package hooks

import (
	"fmt"
	"strconv"

	"github.com/qsentinel/qsentinel/event"
)

func env(run *Run, attempt int) []string {
	e := []string{
		"SENTINEL_EVENT=" + run.Event,
		"SENTINEL_PAYLOAD=" + run.Payload,
		"SENTINEL_MASTER=" + run.Master,
		"SENTINEL_HOOK_ID=" + run.ID,
		fmt.Sprintf("SENTINEL_HOOK_ATTEMPT=%d", attempt),
	}
	if run.Env == nil {
		return append(e, legacyEnv(run)...)
	}
	return append(e, run.Env...)
}

// eventEnv is the event's own variables: the old and new master of a
// +switch-master, else the instance the event is about.
func eventEnv(e *event.Event) []string {
	env := []string{} // not nil: nil marks a legacy run
	switch in := e.Instance; {
	case e.Kind == event.SwitchMaster:
		env = append(env, "SENTINEL_OLD_IP="+e.From.Host, "SENTINEL_OLD_PORT="+strconv.Itoa(e.From.Port),
			"SENTINEL_NEW_IP="+e.To.Host, "SENTINEL_NEW_PORT="+strconv.Itoa(e.To.Port))
	case in.Role != "":
		env = append(env, "SENTINEL_INSTANCE_TYPE="+string(in.Role), "SENTINEL_INSTANCE_NAME="+in.Name,
			"SENTINEL_INSTANCE_IP="+in.Addr.Host, "SENTINEL_INSTANCE_PORT="+strconv.Itoa(in.Addr.Port))
	}
	return env
}

// legacyEnv is eventEnv for a run journaled before events were typed,
// which kept only the payload: the event is read back from its text.
func legacyEnv(run *Run) []string {
	e, _ := event.Parse(event.Kind(run.Event), run.Payload)
	return eventEnv(&e)
}
