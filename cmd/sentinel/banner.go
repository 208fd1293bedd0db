package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/qsentinel/qsentinel/sentinel"
)

// startBanner logs what redis-sentinel logs as it starts (main, after
// the config is loaded and the process detached), so that a restart is
// visible in the log and greps for it keep working; "Configuration
// loaded" names the file, which redis's line does not.
func (a *app) startBanner() {
	a.logger.Warn("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
	a.logger.Warn(fmt.Sprintf("Redis version=%s, bits=%d, commit=00000000, modified=0, pid=%d, just started",
		version, strconv.IntSize, os.Getpid()))
	a.logger.Warn("Configuration loaded from " + a.path)
}

// listeningBanner is redis's line once its listeners are bound; the
// monitor's "+monitor" lines come after it.
func (a *app) listeningBanner() {
	port := a.srv.Port
	if port == 0 {
		port = a.srv.TLS.Port // as redis: server.port ? server.port : server.tls_port
	}
	a.logger.Info(fmt.Sprintf("Running mode=sentinel, port=%d.", port))
}

// savedStore logs each save of the configuration as redis-sentinel's
// sentinelFlushConfig does ("Sentinel new configuration saved on disk",
// at notice level); failures are logged by the monitor.
type savedStore struct {
	sentinel.Store
	log func(msg string)
}

func (s savedStore) Save(cfg *sentinel.Config) error {
	if err := s.Store.Save(cfg); err != nil {
		return err
	}
	s.log("Sentinel new configuration saved on disk")
	return nil
}
