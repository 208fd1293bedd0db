package respserver

import (
	"errors"
	"strconv"
	"strings"

	"github.com/qsentinel/qsentinel/sentinel"
)

// sentinelSubcommands is SENTINEL's subcommand table with redis 7.0's
// arities (COMMAND INFO sentinel).
func sentinelSubcommands() map[string]subcommand {
	return map[string]subcommand{
		"masters":                 {2, sentinelMasters},
		"master":                  {3, sentinelMaster},
		"replicas":                {3, sentinelReplicas},
		"slaves":                  {3, sentinelReplicas},
		"sentinels":               {3, sentinelSentinels},
		"get-master-addr-by-name": {3, sentinelGetMasterAddr},
		"reset":                   {3, sentinelReset},
		"failover":                {3, sentinelFailover},
		"ckquorum":                {3, sentinelCKQuorum},
		"monitor":                 {6, sentinelMonitor},
		"remove":                  {3, sentinelRemove},
		"set":                     {-5, sentinelSet},
		"config":                  {-3, sentinelConfig},
		"myid":                    {2, sentinelMyID},
		"is-master-down-by-addr":  {6, sentinelIsMasterDown},
		"info-cache":              {-3, sentinelInfoCache},
		"pending-scripts":         {2, sentinelPendingScripts},
		"flushconfig":             {2, sentinelFlushConfig},
		"simulate-failure":        {-3, sentinelSimulateFailure},
		"debug":                   {-2, sentinelDebug},
		"help":                    {2, sentinelHelp},
		// Valkey 8's names for the same subcommands. COMMAND and COMMAND
		// DOCS keep redis-sentinel 7.0's table and do not list them.
		"primaries":                {2, sentinelMasters},
		"primary":                  {3, sentinelMaster},
		"get-primary-addr-by-name": {3, sentinelGetMasterAddr},
		"is-primary-down-by-addr":  {6, sentinelIsMasterDown},
	}
}

// replyErr sends a backend error: redis-sentinel's exact text when the
// backend knows it, otherwise a generic ERR.
func replyErr(s *Server, c *client, err error) bool {
	var re *sentinel.ReplyError
	if errors.As(err, &re) {
		return s.reject(c, re.Msg)
	}
	return s.reject(c, "ERR "+err.Error())
}

func writeInstance(c *client, v sentinel.InstanceView) {
	c.w.mapLen(len(v.Fields))
	for _, f := range v.Fields {
		c.w.bulk(f.Key)
		c.w.bulk(f.Value)
	}
}

func writeInstances(c *client, vs []sentinel.InstanceView) {
	c.w.array(len(vs))
	for _, v := range vs {
		writeInstance(c, v)
	}
}

func sentinelMasters(s *Server, c *client, args [][]byte) bool {
	writeInstances(c, s.backend.Masters())
	return false
}

func sentinelMaster(s *Server, c *client, args [][]byte) bool {
	v, err := s.backend.Master(string(args[2]))
	if err != nil {
		return replyErr(s, c, err)
	}
	writeInstance(c, v)
	return false
}

func sentinelReplicas(s *Server, c *client, args [][]byte) bool {
	vs, err := s.backend.Replicas(string(args[2]))
	if err != nil {
		return replyErr(s, c, err)
	}
	writeInstances(c, vs)
	return false
}

func sentinelSentinels(s *Server, c *client, args [][]byte) bool {
	vs, err := s.backend.Sentinels(string(args[2]))
	if err != nil {
		return replyErr(s, c, err)
	}
	writeInstances(c, vs)
	return false
}

func sentinelGetMasterAddr(s *Server, c *client, args [][]byte) bool {
	a, ok := s.backend.ClientMasterAddr(string(args[2]))
	if !ok {
		c.w.nullArray()
		return false
	}
	c.w.array(2)
	c.w.bulk(a.Host)
	c.w.bulk(strconv.Itoa(a.Port))
	return false
}

func sentinelReset(s *Server, c *client, args [][]byte) bool {
	c.w.integer(int64(s.backend.Reset(string(args[2]))))
	return false
}

// sentinelFailover is SENTINEL FAILOVER <name> [COORDINATED]; the option is
// Valkey 9's, with its argument checks in its order (the master first).
// isCoordinated admits SENTINEL FAILOVER <name> COORDINATED (Valkey 9);
// a fourth argument that is not COORDINATED is 7.0's arity error.
func isCoordinated(args [][]byte) bool {
	return len(args) == 4 && strings.EqualFold(string(args[3]), "coordinated")
}

func sentinelFailover(s *Server, c *client, args [][]byte) bool {
	var err error
	if len(args) == 3 {
		err = s.backend.Failover(string(args[2]))
	} else {
		if _, ok := s.backend.MasterAddr(string(args[2])); !ok {
			return replyErr(s, c, sentinel.ErrNoSuchMaster)
		}
		// Only COORDINATED gets here (newerForms).
		err = s.backend.Switchover(string(args[2]))
	}
	if err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelCKQuorum(s *Server, c *client, args [][]byte) bool {
	msg, ok, err := s.backend.CKQuorum(string(args[2]))
	if err != nil {
		return replyErr(s, c, err)
	}
	if !ok {
		return s.reject(c, msg)
	}
	c.w.simple(msg)
	return false
}

func sentinelMonitor(s *Server, c *client, args [][]byte) bool {
	// redis reads the quorum before the port, both with string2ll.
	name, host := string(args[2]), string(args[3])
	quorum, ok := string2ll(args[5])
	if !ok {
		return s.reject(c, "ERR Invalid quorum")
	}
	port, ok := string2ll(args[4])
	if !ok {
		return s.reject(c, "ERR Invalid port")
	}
	// The quorum, the address and then the port range are checked by
	// the backend, in redis's order.
	if err := s.backend.Monitor(name, host, int(port), int(quorum)); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelRemove(s *Server, c *client, args [][]byte) bool {
	if err := s.backend.Remove(string(args[2])); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelSet(s *Server, c *client, args [][]byte) bool {
	// Valkey checks after finding the master.
	if _, ok := s.backend.MasterAddr(string(args[2])); ok {
		if msg := controlCharsFrom(args, 3, "SENTINEL SET"); msg != "" {
			return s.reject(c, msg)
		}
	}
	opts := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		opts = append(opts, string(a))
	}
	if err := s.backend.Set(string(args[2]), opts); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

// sentinelConfig is SENTINEL CONFIG GET <pattern> [<pattern> ...] and
// SENTINEL CONFIG SET <param> <value> [<param> <value> ...] (several
// patterns or pairs as in redis 7.2); any other form gets 7.0's text.
func sentinelConfig(s *Server, c *client, args [][]byte) bool {
	rest := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		rest = append(rest, string(a))
	}
	switch sub := strings.ToLower(string(args[2])); {
	case sub == "get" && len(args) >= 4:
		fs := s.backend.ConfigGet(rest...)
		c.w.mapLen(len(fs))
		for _, f := range fs {
			c.w.bulk(f.Key)
			c.w.bulk(f.Value)
		}
		return false
	case sub == "set" && len(args) >= 5:
		if msg := controlCharsFrom(args, 3, "SENTINEL CONFIG SET"); msg != "" {
			return s.reject(c, msg)
		}
		if err := s.backend.ConfigSet(rest...); err != nil {
			return replyErr(s, c, err)
		}
		c.w.ok()
		return false
	}
	return s.reject(c, "ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
}

func sentinelMyID(s *Server, c *client, args [][]byte) bool {
	c.w.bulk(s.backend.MyID())
	return false
}

func sentinelIsMasterDown(s *Server, c *client, args [][]byte) bool {
	// Integers as redis reads them (string2ll): "+1" and "01" are not.
	port, ok1 := string2ll(args[3])
	epoch, ok2 := string2ll(args[4])
	if !ok1 || !ok2 {
		return s.reject(c, "ERR value is not an integer or out of range")
	}
	r := s.backend.IsMasterDownByAddr(string(args[2]), int(port), uint64(epoch), string(args[5]))
	c.w.array(3)
	if r.Down {
		c.w.integer(1)
	} else {
		c.w.integer(0)
	}
	c.w.bulk(r.Leader)
	c.w.integer(int64(r.LeaderEpoch))
	if r.Saved != nil {
		c.holdRepliesUntil(r.Saved)
	}
	return false
}

func sentinelInfoCache(s *Server, c *client, args [][]byte) bool {
	names := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		names = append(names, string(a))
	}
	entries := s.backend.InfoCache(names)
	c.w.array(2 * len(entries))
	for _, e := range entries {
		c.w.bulk(e.Name)
		c.w.array(len(e.Instances))
		for _, in := range e.Instances {
			c.w.array(2)
			c.w.integer(in.Age.Milliseconds())
			if in.Has {
				c.w.bulk(in.Info)
			} else {
				c.w.nullBulk()
			}
		}
	}
	return false
}

func sentinelPendingScripts(s *Server, c *client, args [][]byte) bool {
	ps := s.backend.PendingScripts()
	c.w.array(len(ps))
	for _, p := range ps {
		c.w.mapLen(5)
		c.w.bulk("argv")
		c.w.array(len(p.Argv))
		for _, a := range p.Argv {
			c.w.bulk(a)
		}
		c.w.bulk("flags")
		c.w.bulk(p.Flags)
		c.w.bulk("pid")
		c.w.bulk(strconv.Itoa(p.PID))
		// "running", or "running,hook" for one of our hooks' runs.
		if strings.HasPrefix(p.Flags, "running") {
			c.w.bulk("run-time")
			c.w.bulk(strconv.FormatInt(p.RunTime.Milliseconds(), 10))
		} else {
			c.w.bulk("run-delay")
			c.w.bulk(strconv.FormatInt(p.RunDelay.Milliseconds(), 10))
		}
		c.w.bulk("retry-num")
		c.w.bulk(strconv.Itoa(p.RetryCount))
	}
	return false
}

func sentinelFlushConfig(s *Server, c *client, args [][]byte) bool {
	if err := s.backend.FlushConfig(); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelSimulateFailure(s *Server, c *client, args [][]byte) bool {
	// redis reads the arguments in order: HELP answers only if every
	// argument before it is a failure mode; anything else is an error
	// first.
	for i, a := range args[2:] {
		if strings.EqualFold(string(a), "help") {
			before := make([]string, 0, i)
			for _, f := range args[2 : 2+i] {
				before = append(before, string(f))
			}
			if err := s.backend.SimulateFailure(before); err != nil {
				return replyErr(s, c, err)
			}
			c.w.array(2)
			c.w.bulk("crash-after-election")
			c.w.bulk("crash-after-promotion")
			return false
		}
	}
	flags := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		flags = append(flags, string(a))
	}
	if err := s.backend.SimulateFailure(flags); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelDebug(s *Server, c *client, args [][]byte) bool {
	if len(args) == 2 {
		fs := s.backend.DebugGet()
		c.w.mapLen(len(fs))
		for _, f := range fs {
			c.w.bulk(f.Key)
			c.w.bulk(f.Value)
		}
		return false
	}
	opts := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		opts = append(opts, string(a))
	}
	if err := s.backend.DebugSet(opts); err != nil {
		return replyErr(s, c, err)
	}
	c.w.ok()
	return false
}

func sentinelHelp(s *Server, c *client, args [][]byte) bool {
	c.w.statusLines(splitLines(helpSentinel))
	return false
}

// controlCharsFrom is Valkey's sentinelValidateArgs: SENTINEL MONITOR
// (from the name on), SET (from the first option) and CONFIG SET refuse
// arguments with control characters (0x00-0x1F, 0x7F), which would
// corrupt the config file we rewrite. The index in the text is the
// argument's position in the command, SENTINEL being 0.
func controlCharsFrom(all [][]byte, first int, cmd string) string {
	for i := first; i < len(all); i++ {
		for _, ch := range all[i] {
			if ch <= 0x1f || ch == 0x7f {
				return "ERR Invalid argument at index " + strconv.Itoa(i) + " for " + cmd + ": control characters are not allowed"
			}
		}
	}
	return ""
}
