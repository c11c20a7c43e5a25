// Package memlimit sets the Go runtime's soft memory limit from the container's memory
// limit, so the garbage collector works harder as the process nears it instead of letting
// the heap double (GOGC=100) past it and the kernel kill the pod. A DNS server's heap is
// mostly live data (the cluster's objects) plus the garbage of a relist; near the limit, a
// collection that runs more often is far cheaper than an OOM kill of every replica at once.
//
// Go has read the CPU limit from the cgroup since 1.25 (GOMAXPROCS), but not the memory
// limit; this is the few lines that do, rather than a dependency. An explicit GOMEMLIMIT
// wins.
//
// The limit is looked up in the process's own cgroup, named in /proc/self/cgroup, and in
// each of its ancestors, not only at the root of the mounted hierarchy: the root is the
// process's own cgroup only inside a private cgroup namespace, which cgroup v1 nodes do not
// give containers, and a process placed in a child cgroup without one would miss its limit.
// A parent's limit constrains its children, so the smallest along the path counts.
//
// Two more settings keep a large cluster's state within a limit, each explained where it is
// set: lists run with a lower GC target (lists.go), and under a limit the binary's own
// pages fault in without readahead (paging.go).
package memlimit

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
)

// Share is the part of the container's limit given to the Go runtime. The rest is for what
// the runtime does not count but the cgroup does: the binary's mapped pages (some 70 MiB of
// this binary's 110 MB stay resident; the kernel can drop them, at the price of reading them
// again) and the kernel's socket buffers.
const Share = 0.8

// root is the file system's root under which /proc and /sys are read; tests change it.
var root = "/"

// Set sets the soft memory limit to Share of the cgroup's limit, unless GOMEMLIMIT is set or
// there is no limit, and returns the limit it set (0: none). Under a limit, explicit or
// not, it also makes the binary's pages fault in without readahead (RandomBinaryPaging);
// err is that call's.
func Set() (soft int64, err error) {
	explicit := os.Getenv("GOMEMLIMIT") != ""
	limit := cgroupLimit(root)
	if limit > 0 || explicit {
		_, err = RandomBinaryPaging()
	}
	if limit <= 0 || explicit {
		return 0, err
	}
	soft = int64(float64(limit) * Share)
	debug.SetMemoryLimit(soft)
	return soft, err
}

// cgroupLimit returns the memory limit of the process's cgroup under root, or 0: v2's
// memory.max if there is one anywhere along the path, else v1's memory.limit_in_bytes.
func cgroupLimit(root string) int64 {
	v2, v1 := ownCgroups(filepath.Join(root, "proc/self/cgroup"))
	if n, found := pathLimit(filepath.Join(root, "sys/fs/cgroup"), v2, "memory.max"); found {
		return n
	}
	n, _ := pathLimit(filepath.Join(root, "sys/fs/cgroup/memory"), v1, "memory.limit_in_bytes")
	return n
}

// ownCgroups returns the process's v2 cgroup ("0::/path") and v1 memory cgroup
// ("N:memory,...:/path") from the /proc/self/cgroup file; "/" for those not listed.
func ownCgroups(file string) (v2, v1 string) {
	v2, v1 = "/", "/"
	b, err := os.ReadFile(file)
	if err != nil {
		return v2, v1
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		if f[0] == "0" && f[1] == "" {
			v2 = f[2]
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			if c == "memory" {
				v1 = f[2]
			}
		}
	}
	return v2, v1
}

// pathLimit returns the smallest limit in the file named name in the cgroup directory
// mount/cgroup and in each of its ancestors up to mount, 0 if none is limited, and whether
// the file was there at all. A cgroup missing under the mount (a cgroup namespace makes the
// mount's root the container's own) leaves only the root's file. "max" (v2), v1's
// page-rounded MaxInt64 and unreadable content mean no limit at that level.
func pathLimit(mount, cgroup, name string) (limit int64, found bool) {
	dir := filepath.Join(mount, filepath.Clean("/"+cgroup)) // no ".." out of the mount
	if _, err := os.Stat(dir); err != nil {
		dir = mount
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
			found = true
			n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if err == nil && n > 0 && n < 1<<60 && (limit == 0 || n < limit) {
				limit = n
			}
		}
		if len(dir) <= len(mount) {
			return limit, found
		}
		dir = filepath.Dir(dir)
	}
}
