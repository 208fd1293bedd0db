package sentinelconf

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/qsentinel/qsentinel/sentinel"
)

// YAMLConfig is the YAML form of the configuration (see
// sentinel.example.yaml). Unlike the .conf form it is never rewritten: the
// state redis-sentinel would append to its file goes to StateFile.
type YAMLConfig struct {
	Port                int                      `mapstructure:"port"`
	Bind                []string                 `mapstructure:"bind"`
	Dir                 string                   `mapstructure:"dir"`
	Pidfile             string                   `mapstructure:"pidfile"`
	Logfile             string                   `mapstructure:"logfile"`
	Loglevel            string                   `mapstructure:"loglevel"`
	LogFormat           string                   `mapstructure:"log_format"`
	RequirePass         string                   `mapstructure:"requirepass"`
	ProtectedMode       bool                     `mapstructure:"protected_mode"`
	Daemonize           bool                     `mapstructure:"daemonize"`
	Supervised          string                   `mapstructure:"supervised"`
	MaxClients          int                      `mapstructure:"maxclients"`
	TimeoutSec          int                      `mapstructure:"timeout"`
	StateFile           string                   `mapstructure:"state_file"` // relative to Dir
	AnnounceIP          string                   `mapstructure:"announce_ip"`
	AnnouncePort        int                      `mapstructure:"announce_port"`
	ResolveHostnames    bool                     `mapstructure:"resolve_hostnames"`
	AnnounceHostnames   bool                     `mapstructure:"announce_hostnames"`
	DenyScriptsReconfig bool                     `mapstructure:"deny_scripts_reconfig"`
	SentinelUser        string                   `mapstructure:"sentinel_user"`
	SentinelPass        string                   `mapstructure:"sentinel_pass"`
	GossipBind          string                   `mapstructure:"gossip_bind"`
	GossipAdvertise     string                   `mapstructure:"gossip_advertise"`
	GossipJoin          []string                 `mapstructure:"gossip_join"`
	GossipKey           string                   `mapstructure:"gossip_key"`
	AgentCheckAddr      string                   `mapstructure:"agent_check_addr"`
	AgentCheckDownWord  string                   `mapstructure:"agent_check_down_word"`
	AgentCheckMaxLag    int64                    `mapstructure:"agent_check_max_lag"`
	HAProxySocket       string                   `mapstructure:"haproxy_socket"`
	hooksYAML           `mapstructure:",squash"` // the hooks* keys, shared with --hooks files
	MetricsAddr         string                   `mapstructure:"metrics_addr"`
	TLSPort             int                      `mapstructure:"tls_port"`
	TLSCertFile         string                   `mapstructure:"tls_cert_file"`
	TLSKeyFile          string                   `mapstructure:"tls_key_file"`
	TLSClientCertFile   string                   `mapstructure:"tls_client_cert_file"`
	TLSClientKeyFile    string                   `mapstructure:"tls_client_key_file"`
	TLSCACertFile       string                   `mapstructure:"tls_ca_cert_file"`
	TLSCACertDir        string                   `mapstructure:"tls_ca_cert_dir"`
	TLSAuthClients      string                   `mapstructure:"tls_auth_clients"`
	TLSReplication      bool                     `mapstructure:"tls_replication"`
	// Masters are the monitored masters: name, host, port and the keys
	// of sentinel.MasterOptions (YAMLKey), checked as the .conf's
	// "sentinel <option>" lines are; see yamlMaster.
	Masters []map[string]any `mapstructure:"masters"`
}

// yamlDefaults are the documented defaults. Registering every top-level
// key also lets viper's AutomaticEnv override it (PREFIX_PORT, PREFIX_DIR,
// PREFIX_LOG_FORMAT, ...): viper only consults the environment for keys it
// knows.
func yamlDefaults() map[string]any {
	d := map[string]any{
		"port":                  defaultSentinelPort,
		"bind":                  []string{},
		"dir":                   "",
		"pidfile":               "",
		"logfile":               "",
		"loglevel":              "notice",
		"log_format":            "text",
		"requirepass":           "",
		"protected_mode":        false,
		"daemonize":             false,
		"supervised":            "no",
		"maxclients":            10000,
		"timeout":               0,
		"state_file":            "sentinel-state.json",
		"announce_ip":           "",
		"announce_port":         0,
		"resolve_hostnames":     false,
		"announce_hostnames":    false,
		"deny_scripts_reconfig": true,
		"sentinel_user":         "",
		"sentinel_pass":         "",
		"gossip_bind":           "",
		"gossip_advertise":      "",
		"gossip_join":           []string{},
		"gossip_key":            "",
		"agent_check_addr":      "",
		"agent_check_down_word": "down",
		"agent_check_max_lag":   0,
		"haproxy_socket":        "",
		"metrics_addr":          "",
		"tls_port":              0,
		"tls_cert_file":         "",
		"tls_key_file":          "",
		"tls_client_cert_file":  "",
		"tls_client_key_file":   "",
		"tls_ca_cert_file":      "",
		"tls_ca_cert_dir":       "",
		"tls_auth_clients":      "yes",
		"tls_replication":       false,
	}
	maps.Copy(d, hooksDefaults())
	return d
}

// IsYAMLKey says whether key is a top-level key of the YAML form, which
// SENTINEL_<KEY> environment variables can override too.
func IsYAMLKey(key string) bool {
	_, ok := yamlDefaults()[key]
	return ok || key == "hooks" || key == "masters"
}

// StatePath is where the state file of a YAML config is: state_file,
// relative to dir.
func (y *YAMLConfig) StatePath(dir string) string {
	if filepath.IsAbs(y.StateFile) {
		return y.StateFile
	}
	return filepath.Join(dir, y.StateFile)
}

// LoadYAML reads a YAML config; environment variables named envPrefix + "_"
// + upper-case key override top-level keys (SENTINEL_PORT=26380). Unknown
// keys are errors, so a typo does not silently fall back to a default.
func LoadYAML(path, envPrefix string) (*File, *YAMLConfig, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	for k, d := range yamlDefaults() {
		v.SetDefault(k, d)
	}
	if envPrefix != "" {
		v.SetEnvPrefix(envPrefix)
	}
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	if err := v.ReadInConfig(); err != nil {
		return nil, nil, fmt.Errorf("config file %s: %w", path, err)
	}
	var y YAMLConfig
	if err := v.UnmarshalExact(&y); err != nil {
		data, _ := os.ReadFile(path)
		return nil, nil, decodeWithLines(path, data, err)
	}
	f, err := y.file()
	if err != nil {
		data, _ := os.ReadFile(path)
		return nil, nil, withLine(path, data, err)
	}
	f.Path = path
	return f, &y, nil
}

// file converts the YAML form to the common one and checks it.
func (y *YAMLConfig) file() (*File, error) {
	f := &File{
		Server: Server{
			Port: y.Port, Bind: y.Bind, Dir: y.Dir, Pidfile: y.Pidfile, Logfile: y.Logfile,
			Loglevel: strings.ToLower(y.Loglevel), LogFormat: strings.ToLower(y.LogFormat),
			RequirePass: y.RequirePass, ProtectedMode: y.ProtectedMode,
			ACLLogMaxLen: 128, // redis's default; YAML has no setting for it
			Daemonize:    y.Daemonize, Supervised: strings.ToLower(y.Supervised),
			SyslogIdent: "redis", SyslogFacility: "local0",
			OOMScoreAdj: "no", OOMScoreAdjValues: [3]int{0, 200, 800},
			Clients: defaultClients(),
		},
		Sentinel: sentinel.DefaultConfig(),
	}
	switch f.Server.Loglevel {
	case "debug", "verbose", "notice", "warning":
	default:
		return nil, at(fmt.Errorf("loglevel: %q must be one of debug, verbose, notice, warning", y.Loglevel), "loglevel")
	}
	switch f.Server.Supervised {
	case "no", "upstart", "systemd", "auto":
	default:
		return nil, at(fmt.Errorf("supervised: %q must be one of no, upstart, systemd, auto", y.Supervised), "supervised")
	}
	if y.MaxClients < 1 {
		return nil, at(fmt.Errorf("maxclients: %d must be 1 or more", y.MaxClients), "maxclients")
	}
	if y.TimeoutSec < 0 {
		return nil, at(fmt.Errorf("timeout: %d must be 0 (never) or more seconds", y.TimeoutSec), "timeout")
	}
	f.Server.Clients.MaxClients = y.MaxClients
	f.Server.Clients.Timeout = time.Duration(y.TimeoutSec) * time.Second
	switch f.Server.LogFormat {
	case "text", "json", "redis":
	default:
		return nil, at(fmt.Errorf("log_format: %q must be text, json or redis", y.LogFormat), "log_format")
	}
	if y.StateFile == "" {
		return nil, at(errors.New("state_file: must not be empty"), "state_file")
	}
	if y.AnnouncePort < 0 || y.AnnouncePort > 65535 {
		return nil, at(fmt.Errorf("announce_port: %d out of range", y.AnnouncePort), "announce_port")
	}
	f.Gossip = Gossip{Bind: y.GossipBind, Advertise: y.GossipAdvertise, Join: y.GossipJoin, Key: y.GossipKey}
	f.MetricsAddr = y.MetricsAddr
	hooks, err := y.hooksYAML.hooks()
	if err != nil {
		return nil, err // located per key by hooks()
	}
	f.Hooks = hooks
	f.AgentCheck = AgentCheck{Addr: y.AgentCheckAddr, DownWord: y.AgentCheckDownWord, MaxLag: y.AgentCheckMaxLag, HAProxySocket: y.HAProxySocket}
	f.Server.TLS = TLS{
		Port: y.TLSPort, CertFile: y.TLSCertFile, KeyFile: y.TLSKeyFile,
		ClientCertFile: y.TLSClientCertFile, ClientKeyFile: y.TLSClientKeyFile,
		CACertFile: y.TLSCACertFile, CACertDir: y.TLSCACertDir,
		AuthClients: strings.ToLower(y.TLSAuthClients), Replication: y.TLSReplication,
	}
	switch f.Server.TLS.AuthClients {
	case "yes", "no", "optional":
	default:
		return nil, at(fmt.Errorf("tls_auth_clients: %q must be one of yes, no, optional", y.TLSAuthClients), "tls_auth_clients")
	}
	c := &f.Sentinel
	c.Port = y.Port
	if y.TLSReplication && y.TLSPort != 0 {
		c.Port = y.TLSPort // peers are told our TLS port, as with the .conf form
	}
	c.AnnounceIP, c.AnnouncePort = y.AnnounceIP, y.AnnouncePort
	c.ResolveHostnames, c.AnnounceHostnames = y.ResolveHostnames, y.AnnounceHostnames
	c.DenyScriptsReconfig = y.DenyScriptsReconfig
	c.SentinelUser, c.SentinelPass = y.SentinelUser, y.SentinelPass
	for i, raw := range y.Masters {
		name, _ := raw["name"].(string)
		raw, port, err := haproxyPort(raw)
		if err == nil {
			var m sentinel.MasterConfig
			if m, err = yamlMaster(raw, y.Dir); err == nil {
				c.Masters = append(c.Masters, sentinel.MasterState{MasterConfig: m})
				if port != 0 {
					if f.HAProxyPorts == nil {
						f.HAProxyPorts = map[string]int{}
					}
					f.HAProxyPorts[m.Name] = port
				}
			}
		}
		if err != nil {
			return nil, at(fmt.Errorf("masters[%d] (%s): %w", i, name, err), "masters", i)
		}
	}
	if err := c.Validate(); err != nil {
		return nil, locateValidate(err, y.Masters)
	}
	return f, nil
}

// locateValidate marks an error of sentinel.Config.Validate with the key
// it is about, for its line: "port: ..." is the port key, "monitor <name>:"
// and "master <name>:" the last master of that name (with two of one name,
// the second is the one at fault).
func locateValidate(err error, masters []map[string]any) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "port:") {
		return at(err, "port")
	}
	for _, prefix := range []string{"monitor ", "master "} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		name, _, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		for i := len(masters) - 1; i >= 0; i-- {
			if n, _ := masters[i]["name"].(string); n == name {
				return at(err, "masters", i)
			}
		}
	}
	return err
}

// haproxyPort takes a master's haproxy_port key (its frontend port in
// `sentinel haproxy-config`, which the sentinel itself does not use) out
// of raw; 0 when absent.
func haproxyPort(raw map[string]any) (map[string]any, int, error) {
	v, ok := raw["haproxy_port"]
	if !ok {
		return raw, 0, nil
	}
	rest := make(map[string]any, len(raw)-1)
	for k, x := range raw {
		if k != "haproxy_port" {
			rest[k] = x
		}
	}
	port, isInt := v.(int)
	if !isInt || port < 1 || port > 65535 {
		return nil, 0, at(fmt.Errorf("haproxy_port: %v is not a port (1-65535)", v), "haproxy_port")
	}
	return rest, port, nil
}
