// Package memlimit sets the Go runtime's soft memory limit from the container's memory
// limit, so the garbage collector works harder as the process nears it instead of letting
// the heap double (GOGC=100) past it and the kernel kill the pod. A DNS server's heap is
// mostly live data (the cluster's objects) plus the garbage of a relist; near the limit, a
// collection that runs more often is far cheaper than an OOM kill of every replica at once.
//
// Go has read the CPU limit from the cgroup since 1.25 (GOMAXPROCS), but not the memory
// limit; this is the few lines that do, rather than a dependency. An explicit GOMEMLIMIT
// wins.
package memlimit

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Share is the part of the container's limit given to the Go runtime. The rest is for what
// the runtime does not count but the cgroup does: the binary's mapped pages (some 70 MiB of
// this binary's 110 MB stay resident; the kernel can drop them, at the price of reading them
// again) and the kernel's socket buffers.
const Share = 0.8

// files are where the cgroup's memory limit is read, v2 first; inside a container the
// cgroup namespace makes them the container's own.
var files = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// Set sets the soft memory limit to Share of the cgroup's limit, unless GOMEMLIMIT is set or
// there is no limit, and returns the limit it set (0: none).
func Set() int64 {
	if os.Getenv("GOMEMLIMIT") != "" {
		return 0
	}
	limit := cgroupLimit(files)
	if limit <= 0 {
		return 0
	}
	set := int64(float64(limit) * Share)
	debug.SetMemoryLimit(set)
	return set
}

// cgroupLimit returns the first limit found in files, or 0: "max" (v2) and v1's page-rounded
// MaxInt64 mean no limit.
func cgroupLimit(files []string) int64 {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0
		}
		return n
	}
	return 0
}
