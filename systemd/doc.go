// Package systemd holds qsentinel.service, the unit that replaces
// Debian's redis-sentinel.service; its tests check the unit against
// Debian's layout (the paths the stock sentinel.conf writes) and, where
// systemd-analyze is installed, against systemd itself.
package systemd
