package sentinel

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/qsentinel/qsentinel/redisnum"
)

// MasterOption is one per-master option: how each way of setting it (a
// "sentinel <option> <master> ..." line, a YAML master key, SENTINEL SET)
// reads and checks its values, how the rewrite writes it back and how
// SENTINEL MASTER shows it. Every path goes through MasterOptions, so they
// cannot disagree the way five hand-kept copies did. The texts of errors
// are redis-sentinel 7.0's, which differ by path (sentinel.c
// sentinelHandleConfiguration for the file, sentinelSetCommand for SET).
type MasterOption struct {
	// Name is the option as the file and SENTINEL SET spell it.
	Name string
	// Alias is a second name read (never written): Valkey 8's
	// primary-reboot-down-after-period.
	Alias string
	// YAMLKey is the key of a YAML master that sets it.
	YAMLKey string
	// Args is how many values follow the master name (rename-command: 2).
	Args int
	// Number: the value is an integer (YAML takes 0 for "unset").
	Number bool
	// Directive: the file has a "sentinel <Name> <master> ..." line for it.
	// quorum has none: it is the last argument of the monitor line.
	Directive bool
	// Settable: SENTINEL SET may change it.
	Settable bool
	// Script: a path run by the sentinel; SET refuses it under
	// deny-scripts-reconfig.
	Script bool
	// Secret: the +set event shows "******" instead of the value.
	Secret bool
	// Relink: the data links are dropped when SET changes it, so that new
	// credentials are used at once.
	Relink bool
	// View is where SENTINEL MASTER (and REPLICAS, SENTINELS) shows it.
	View ViewPlace
	// AfterState: the rewrite writes its lines after the config-epoch,
	// leader-epoch and known-* lines, as redis orders them.
	AfterState bool

	conf func(m *MasterConfig, v []string, resolve func(string) string) string
	set  func(m *MasterConfig, v []string) (bad int, err error)
	// lines are the values of each line the rewrite writes; none when
	// the option is at its default.
	lines func(m *MasterConfig, t Timing) [][]string
	// show is the value shown by the views.
	show func(m *MasterConfig, t Timing) (string, bool)
	// fill sets an unset value to its default of the moment.
	fill func(m *MasterConfig, t Timing)
}

// ViewPlace says where an instance view shows an option.
type ViewPlace int

const (
	// ViewHidden options are not shown (credentials, renames).
	ViewHidden ViewPlace = iota
	// ViewEvery options are shown for every instance of the master,
	// after the ping times (down-after-milliseconds).
	ViewEvery
	// ViewMaster options are shown in the master-only fields.
	ViewMaster
)

// MasterOptions are the per-master options, in the order redis rewrites
// them and shows them. It is a read-only table: nothing changes it at run
// time.
var MasterOptions = []*MasterOption{
	{
		Name: "quorum", YAMLKey: "quorum", Args: 1, Number: true, Settable: true, View: ViewMaster,
		// No line of its own: the monitor line's last argument, read so.
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			q := redisnum.Atoi(v[0])
			if q <= 0 {
				return "Quorum must be 1 or greater."
			}
			m.Quorum = int(q)
			return ""
		},
		set:  setInt(func(m *MasterConfig) *int { return &m.Quorum }, 1),
		show: func(m *MasterConfig, _ Timing) (string, bool) { return strconv.Itoa(m.Quorum), true },
	},
	msOption("down-after-milliseconds", "down_after_ms", ViewEvery,
		func(m *MasterConfig) *time.Duration { return &m.DownAfter },
		func(t Timing) time.Duration { return t.DefaultDownAfter }),
	msOption("failover-timeout", "failover_timeout_ms", ViewMaster,
		func(m *MasterConfig) *time.Duration { return &m.FailoverTimeout },
		func(t Timing) time.Duration { return t.DefaultFailoverTimeout }),
	{
		Name: "parallel-syncs", YAMLKey: "parallel_syncs", Args: 1, Number: true, Directive: true, Settable: true, View: ViewMaster,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			// atoi and no check, as redis: 0 and negatives are taken
			// (Config.Validate refuses negatives).
			m.ParallelSyncs = int(redisnum.Atoi(v[0]))
			return ""
		},
		set: setInt(func(m *MasterConfig) *int { return &m.ParallelSyncs }, 1),
		lines: func(m *MasterConfig, _ Timing) [][]string {
			if m.ParallelSyncs == 0 || m.ParallelSyncs == DefaultParallelSyncs {
				return nil
			}
			return [][]string{{strconv.Itoa(m.ParallelSyncs)}}
		},
		show: func(m *MasterConfig, _ Timing) (string, bool) { return strconv.Itoa(m.EffectiveParallelSyncs()), true },
		fill: func(m *MasterConfig, _ Timing) { m.ParallelSyncs = m.EffectiveParallelSyncs() },
	},
	scriptOption("notification-script", "notification_script", "Notification script",
		func(m *MasterConfig) *string { return &m.NotificationScript }),
	scriptOption("client-reconfig-script", "client_reconfig_script", "Client reconfiguration script",
		func(m *MasterConfig) *string { return &m.ClientReconfigScript }),
	textOption("auth-pass", "auth_pass", true, func(m *MasterConfig) *string { return &m.AuthPass }),
	textOption("auth-user", "auth_user", false, func(m *MasterConfig) *string { return &m.AuthUser }),
	offMsOption("master-reboot-down-after-period", "primary-reboot-down-after-period", "master_reboot_down_after_period_ms",
		func(v string) (time.Duration, string) {
			// atoi, as redis reads it.
			if d := confMs(v); d >= 0 {
				return d, ""
			}
			return 0, "negative time parameter."
		}, func(m *MasterConfig) *time.Duration { return &m.RebootDownAfter }),
	// Fencing (failover/fence.go): ours alone, so written only when set
	// and never shown by the views a redis-sentinel client reads.
	countOption("fence-min-replicas", "fence_min_replicas", 0, func(m *MasterConfig) *int { return &m.FenceReplicas }),
	countOption("fence-max-lag", "fence_max_lag", 1, func(m *MasterConfig) *int { return &m.FenceMaxLag }),
	// Holding failovers back (failover/hold.go): ours alone, written
	// only when set; maintenance shows as a flag, the others nowhere.
	yesNoOption("maintenance", "maintenance", "yes", func(m *MasterConfig) *bool { return &m.Maintenance }),
	// Fail-closed discovery (failover/isolation.go): ours alone, on by
	// default, written only when turned off.
	yesNoOption("fail-closed", "fail_closed", "no", func(m *MasterConfig) *bool { return &m.OpenWhenIsolated }),
	offMsOption("failover-block-period", "", "failover_block_period_ms",
		func(v string) (time.Duration, string) {
			// Ours: read strictly, no atoi leniency.
			if n, ok := redisnum.ParseInt(v); ok && n >= 0 {
				return time.Duration(n) * time.Millisecond, ""
			}
			return 0, "failover-block-period must be a number of milliseconds, 0 or more."
		}, func(m *MasterConfig) *time.Duration { return &m.BlockPeriod }),
	hidden(scriptOption("pre-failover-script", "pre_failover_script", "Pre-failover script",
		func(m *MasterConfig) *string { return &m.PreFailoverScript })),
	{
		Name: "rename-command", Args: 2, Directive: true, Settable: true, AfterState: true,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			// redis's renamed_commands dict compares names without case.
			for _, r := range m.RenameCommands {
				if strings.EqualFold(r.Command, v[0]) {
					return "Same command renamed multiple times with rename-command."
				}
			}
			m.RenameCommands = append(m.RenameCommands, RenamedCommand{Command: v[0], Renamed: v[1]})
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			oldName, newName := v[0], v[1]
			if oldName == "" || newName == "" {
				if newName != "" {
					return 0, nil
				}
				return 1, nil
			}
			// SET replaces an earlier renaming of the command, and a
			// renaming to itself only removes it.
			rc := m.RenameCommands[:0:0]
			for _, r := range m.RenameCommands {
				if !strings.EqualFold(r.Command, oldName) {
					rc = append(rc, r)
				}
			}
			if !strings.EqualFold(oldName, newName) {
				rc = append(rc, RenamedCommand{oldName, newName})
			}
			m.RenameCommands = rc
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string {
			var out [][]string
			for _, r := range m.RenameCommands {
				out = append(out, []string{r.Command, r.Renamed})
			}
			return out
		},
	},
}

// DefaultParallelSyncs is redis's SENTINEL_DEFAULT_PARALLEL_SYNCS.
const DefaultParallelSyncs = 1

// LookupMasterOption finds an option by name or alias, ignoring case as
// redis does; nil when there is none.
func LookupMasterOption(name string) *MasterOption {
	for _, o := range MasterOptions {
		if strings.EqualFold(o.Name, name) || o.Alias != "" && strings.EqualFold(o.Alias, name) {
			return o
		}
	}
	return nil
}

// ParseConf applies the values of a "sentinel <option> <master> ..." line
// (for quorum: the monitor line's last argument) to m, like
// sentinelHandleConfiguration; it returns redis's fatal error text or "". resolve turns a path into the one redis-server would open
// at that point of the file (relative to the last dir line).
func (o *MasterOption) ParseConf(m *MasterConfig, vals []string, resolve func(string) string) string {
	return o.conf(m, vals, resolve)
}

// Set applies the values of one SENTINEL SET option to m. bad is the index
// in vals of an argument SET refuses with "Invalid argument", -1 when
// none; err is any other refusal, already in redis's words.
func (o *MasterOption) Set(m *MasterConfig, vals []string) (bad int, err error) {
	return o.set(m, vals)
}

// Lines are the values (after the master name) of each "sentinel <Name>
// <master> ..." line the rewrite writes for m: none when the option is at
// its default, as rewriteConfigSentinelOption.
func (o *MasterOption) Lines(m *MasterConfig, t Timing) [][]string {
	if o.lines == nil {
		return nil
	}
	return o.lines(m, t)
}

// Show is the value the views show for m, and whether they show one.
func (o *MasterOption) Show(m *MasterConfig, t Timing) (string, bool) {
	if o.show == nil {
		return "", false
	}
	return o.show(m, t)
}

// WithDefaults is m with every unset option set to its default of the
// moment, as redis-sentinel's createSentinelRedisInstance copies
// sentinel_default_down_after and sentinel_default_failover_timeout into
// a master: a later SENTINEL DEBUG default-down-after changes the masters
// monitored after it, not those before (checked against 7.0.15).
func (m MasterConfig) WithDefaults(t Timing) MasterConfig {
	for _, o := range MasterOptions {
		if o.fill != nil {
			o.fill(&m, t)
		}
	}
	return m
}

// EffectiveParallelSyncs is parallel-syncs with 0 meaning the default.
func (m *MasterConfig) EffectiveParallelSyncs() int {
	if m.ParallelSyncs > 0 {
		return m.ParallelSyncs
	}
	return DefaultParallelSyncs
}

// ScriptExecutable is the check redis makes of a script path, in the file
// and in SENTINEL SET alike: access(path, X_OK). It differs from looking
// at the permission bits for another owner's file, a directory, or a
// noexec mount.
func ScriptExecutable(path string) bool {
	return unix.Access(path, unix.X_OK) == nil
}

// msOption is a positive number of milliseconds with a default taken
// from Timing; 0 in MasterConfig means that default.
func msOption(name, yamlKey string, view ViewPlace, field func(*MasterConfig) *time.Duration, def func(Timing) time.Duration) *MasterOption {
	return &MasterOption{
		Name: name, YAMLKey: yamlKey, Args: 1, Number: true, Directive: true, Settable: true, View: view,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			if *field(m) = confMs(v[0]); *field(m) <= 0 {
				return "negative or zero time parameter."
			}
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			n, ok := redisnum.ParseInt(v[0])
			if !ok || n <= 0 {
				return 0, nil
			}
			*field(m) = time.Duration(n) * time.Millisecond
			return -1, nil
		},
		lines: func(m *MasterConfig, t Timing) [][]string {
			// Written unless it equals the default, even when set to it
			// explicitly: redis compares with the default of the moment.
			d := *field(m)
			if d <= 0 || d == def(t) {
				return nil
			}
			return [][]string{{ms(d)}}
		},
		show: func(m *MasterConfig, t Timing) (string, bool) {
			d := *field(m)
			if d <= 0 {
				d = def(t)
			}
			return ms(d), true
		},
		fill: func(m *MasterConfig, t Timing) {
			if *field(m) <= 0 {
				*field(m) = def(t)
			}
		},
	}
}

// scriptOption is a script path: checked executable where it is set; SET
// with an empty path removes it.
func scriptOption(name, yamlKey, what string, field func(*MasterConfig) *string) *MasterOption {
	return &MasterOption{
		Name: name, YAMLKey: yamlKey, Args: 1, Directive: true, Settable: true, Script: true, View: ViewMaster,
		conf: func(m *MasterConfig, v []string, resolve func(string) string) string {
			if !ScriptExecutable(resolve(v[0])) {
				return what + " seems non existing or non executable."
			}
			*field(m) = v[0]
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			if v[0] != "" && !ScriptExecutable(v[0]) {
				return -1, &ReplyError{"ERR " + what + " seems non existing or non executable"}
			}
			*field(m) = v[0]
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string { return stringLine(*field(m)) },
		show: func(m *MasterConfig, _ Timing) (string, bool) {
			return *field(m), *field(m) != ""
		},
	}
}

// textOption is a string taken as it is (credentials); never shown.
func textOption(name, yamlKey string, secret bool, field func(*MasterConfig) *string) *MasterOption {
	return &MasterOption{
		Name: name, YAMLKey: yamlKey, Args: 1, Directive: true, Settable: true, Secret: secret, Relink: true,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			*field(m) = v[0]
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			*field(m) = v[0]
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string { return stringLine(*field(m)) },
	}
}

// offMsOption is a number of milliseconds where 0 (the default) means off,
// written back only when set; conf reads the file's value, SET takes a
// number of 0 or more.
func offMsOption(name, alias, yamlKey string, conf func(v string) (time.Duration, string), field func(*MasterConfig) *time.Duration) *MasterOption {
	return &MasterOption{
		Name: name, Alias: alias, YAMLKey: yamlKey, Args: 1, Number: true, Directive: true, Settable: true,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			d, reason := conf(v[0])
			if reason == "" {
				*field(m) = d
			}
			return reason
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			n, ok := redisnum.ParseInt(v[0])
			if !ok || n < 0 {
				return 0, nil
			}
			*field(m) = time.Duration(n) * time.Millisecond
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string {
			if *field(m) == 0 {
				return nil
			}
			return [][]string{{ms(*field(m))}}
		},
	}
}

// hidden is o not shown by the views (ours alone: a redis-sentinel
// client reads SENTINEL MASTER as 7.0 writes it).
func hidden(o *MasterOption) *MasterOption {
	o.View = ViewHidden
	o.show = nil
	return o
}

// yesNoOption is yes or no, kept in a flag that is set by word (and
// cleared by the other) and written back, as word, only when set: the
// flag's zero value is the option's default.
func yesNoOption(name, yamlKey, word string, flag func(*MasterConfig) *bool) *MasterOption {
	parse := func(v string) (set, ok bool) {
		on, ok := yesNo(v)
		return on == (word == "yes"), ok
	}
	return &MasterOption{
		Name: name, YAMLKey: yamlKey, Args: 1, Directive: true, Settable: true,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			set, ok := parse(v[0])
			if !ok {
				return name + " must be yes or no."
			}
			*flag(m) = set
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			set, ok := parse(v[0])
			if !ok {
				return 0, nil
			}
			*flag(m) = set
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string {
			if !*flag(m) {
				return nil
			}
			return [][]string{{word}}
		},
	}
}

// countOption is a whole number of at least lo (0 in the file or YAML
// means unset when lo is 1), written back when not 0.
func countOption(name, yamlKey string, lo int64, field func(*MasterConfig) *int) *MasterOption {
	return &MasterOption{
		Name: name, YAMLKey: yamlKey, Args: 1, Number: true, Directive: true, Settable: true,
		conf: func(m *MasterConfig, v []string, _ func(string) string) string {
			n, ok := redisnum.ParseInt(v[0])
			if !ok || n < lo && n != 0 || n > 1<<20 {
				return name + " must be a whole number from " + strconv.FormatInt(lo, 10) + " to 1048576."
			}
			*field(m) = int(n)
			return ""
		},
		set: func(m *MasterConfig, v []string) (int, error) {
			n, ok := redisnum.ParseInt(v[0])
			if !ok || n < lo || n > 1<<20 {
				return 0, nil
			}
			*field(m) = int(n)
			return -1, nil
		},
		lines: func(m *MasterConfig, _ Timing) [][]string {
			if *field(m) == 0 {
				return nil
			}
			return [][]string{{strconv.Itoa(*field(m))}}
		},
	}
}

// setInt is SET of a count that must be at least lo.
func setInt(field func(*MasterConfig) *int, lo int64) func(*MasterConfig, []string) (int, error) {
	return func(m *MasterConfig, v []string) (int, error) {
		n, ok := redisnum.ParseInt(v[0])
		if !ok || n < lo {
			return 0, nil
		}
		*field(m) = int(n)
		return -1, nil
	}
}

// confMs is a .conf number of milliseconds: read with atoi like redis,
// so "5000ms" is 5000 and garbage is 0.
func confMs(s string) time.Duration { return time.Duration(redisnum.Atoi(s)) * time.Millisecond }

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// stringLine is one line with s, or none when s is empty (unset).
func stringLine(s string) [][]string {
	if s == "" {
		return nil
	}
	return [][]string{{s}}
}
