package sentinel

import (
	"context"
	"net"
	"time"
)

// Host names, as redis-sentinel 7.0 treats them (sentinelAddr keeps both
// the name it was given and the IP it resolved to): an instance is
// reached by its name, and with resolve-hostnames the name's last good IP
// is remembered. What we report (SENTINEL MASTER/REPLICAS "ip", events,
// GET-MASTER-ADDR-BY-NAME, INFO, hello, SLAVEOF) is the name with
// announce-hostnames, else that IP (announceSentinelAddr). A name that
// stops resolving keeps its last IP, so a master whose DNS entry vanished
// while it was down (a container gone) is still reported, compared and
// failed over.

// Resolver looks a host name up (net.DefaultResolver.LookupHost's shape).
// Tests replace it to make names resolve, change or vanish without DNS.
type Resolver func(ctx context.Context, host string) ([]string, error)

// resolveTimeout bounds one lookup; it runs off the group lock.
const resolveTimeout = 2 * time.Second

// refreshIP resolves host through the resolver and remembers its first
// address. It reports whether the name resolved.
func (s *Sentinel) refreshIP(ctx context.Context, host string) bool {
	if net.ParseIP(host) != nil {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := s.resolver(ctx, host)
	if err != nil || len(addrs) == 0 {
		s.logger.Warn("Failed to resolve hostname '" + host + "'")
		return false
	}
	s.hostsMu.Lock()
	s.hosts[host] = addrs[0]
	s.hostsMu.Unlock()
	return true
}

// resolveLater refreshes host's IP in the background when
// resolve-hostnames is on (redis-sentinel resolves again at every
// reconnect: the instance may have come back with a new IP).
func (s *Sentinel) resolveLater(host string) {
	if net.ParseIP(host) != nil {
		return
	}
	s.cfgMu.RLock()
	resolve := s.cfg.ResolveHostnames
	s.cfgMu.RUnlock()
	if !resolve {
		return
	}
	ctx := s.ctx // set by Run, before the first tick opens a link
	if ctx == nil {
		ctx = context.Background()
	}
	go s.refreshIP(ctx, host)
}

// hostCheck is whether an instance at a host can be created now.
type hostCheck int

const (
	hostOK      hostCheck = iota // an IP, or a name already resolved
	hostUnknown                  // a name never resolved: look it up first
	hostRefused                  // a name while resolve-hostnames is off
)

// acceptHost is createSentinelAddr's check: an IP, or a name when
// resolve-hostnames is on and the name resolves.
func (s *Sentinel) acceptHost(host string) hostCheck {
	if net.ParseIP(host) != nil {
		return hostOK
	}
	s.cfgMu.RLock()
	resolve := s.cfg.ResolveHostnames
	s.cfgMu.RUnlock()
	if !resolve {
		s.logger.Warn("Failed to resolve hostname '" + host + "'")
		return hostRefused
	}
	s.hostsMu.Lock()
	_, known := s.hosts[host]
	s.hostsMu.Unlock()
	if !known {
		return hostUnknown
	}
	return hostOK
}

// ipOf is host's last known IP: host itself when it is an IP or was
// never resolved.
func (s *Sentinel) ipOf(host string) string {
	if net.ParseIP(host) != nil {
		return host
	}
	s.hostsMu.Lock()
	defer s.hostsMu.Unlock()
	if ip, ok := s.hosts[host]; ok {
		return ip
	}
	return host
}

// shownHost is announceSentinelAddr: what we report for host.
func (s *Sentinel) shownHost(host string) string {
	s.cfgMu.RLock()
	announce := s.cfg.AnnounceHostnames
	s.cfgMu.RUnlock()
	if announce {
		return host
	}
	return s.ipOf(host)
}

// shown is a with its host as reported.
func (s *Sentinel) shown(a Addr) Addr {
	a.Host = s.shownHost(a.Host)
	return a
}

// sameHost compares a host we know (a name or an IP) with one a replica
// reports in INFO (master_host): equal as given, or by the name's IP
// (sentinelAddrEqualsHostname).
func (s *Sentinel) sameHost(known, reported string) bool {
	return known == reported || s.ipOf(known) == reported || known == s.ipOf(reported)
}
