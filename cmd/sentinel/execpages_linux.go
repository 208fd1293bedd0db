package main

import (
	"bufio"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
)

// releaseExecPages unmaps the read-only pages of our own executable
// (code, read-only data, the function table) from this process. At start
// nearly the whole file gets mapped: every package's init, the config
// parser and the embedded COMMAND table run once, and the kernel maps up
// to 64 KiB around each page fault, so an idle sentinel kept ~11 MB of a
// 13 MB image in its RSS although it runs ~3 MB of it. The pages stay in
// the page cache (shared with other instances, no I/O); what runs again
// is mapped back by an ordinary minor fault. Writable mappings (.data,
// .bss) are never touched: MADV_DONTNEED would discard their contents.
// Errors are ignored: the only effect of a failure is a larger RSS.
func releaseExecPages() {
	// smaps, not maps: each mapping's Anonymous count says whether any of
	// its pages is a private copy (relocated data of a PIE build, made
	// read-only afterwards, looks like any other read-only mapping).
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	// Our mappings are the ones backed by the same file (device and
	// inode) as the one holding this function's code; the path is not
	// compared, since a binary replaced on disk shows as "(deleted)".
	pc := uint64(reflect.ValueOf(releaseExecPages).Pointer())
	type mapping struct {
		start, end uint64
		perms, dev string
		inode      string
		anonymous  bool // some page is a private copy: never drop it
	}
	var maps []mapping
	var dev, inode string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "Anonymous:" {
			if len(maps) > 0 && fs[1] != "0" {
				maps[len(maps)-1].anonymous = true
			}
			continue
		}
		if len(fs) < 5 || !strings.Contains(fs[0], "-") {
			continue // another per-mapping field
		}
		r := strings.SplitN(fs[0], "-", 2)
		start, err1 := strconv.ParseUint(r[0], 16, 64)
		end, err2 := strconv.ParseUint(r[1], 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		m := mapping{start, end, fs[1], fs[3], fs[4], false}
		maps = append(maps, m)
		if start <= pc && pc < end && fs[4] != "0" {
			dev, inode = m.dev, m.inode
		}
	}
	if inode == "" {
		return
	}
	for _, m := range maps {
		if m.dev != dev || m.inode != inode || m.anonymous ||
			!strings.HasPrefix(m.perms, "r") || strings.Contains(m.perms, "w") {
			continue
		}
		// The raw call: the range is not Go memory, so no slice over it.
		syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), syscall.MADV_DONTNEED)
	}
}
