//go:build !linux

package main

// releaseExecPages is Linux's (execpages_linux.go); elsewhere the
// executable's pages stay as the kernel mapped them.
func releaseExecPages() {}
