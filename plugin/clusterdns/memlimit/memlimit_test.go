package memlimit

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestCgroupLimit(t *testing.T) {
	const (
		v1Unlimited = "9223372036854771712\n"
		selfV2      = "0::/kubepods/pod1/ctr\n"
		selfV1      = "12:pids:/kubepods/pod1/ctr\n4:memory:/kubepods/pod1/ctr\n1:name=systemd:/kubepods/pod1/ctr\n0::/\n"
	)
	for _, tc := range []struct {
		name  string
		files map[string]string // path under the root: content
		want  int64
	}{
		{"v2 at the mount root (cgroup namespace)", map[string]string{
			"proc/self/cgroup":         "0::/\n",
			"sys/fs/cgroup/memory.max": "178257920\n",
		}, 178257920},
		{"v2 nested, the parent's limit smaller", map[string]string{
			"proc/self/cgroup":                           selfV2,
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "268435456\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":     "178257920\n",
			"sys/fs/cgroup/kubepods/memory.max":          "max\n",
		}, 178257920},
		{"v2 nested, the child's limit smaller", map[string]string{
			"proc/self/cgroup":                           selfV2,
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "178257920\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":     "268435456\n",
		}, 178257920},
		{"v2 max everywhere, v1 not consulted", map[string]string{
			"proc/self/cgroup":                           selfV2,
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "max\n",
			"sys/fs/cgroup/kubepods/pod1/memory.max":     "max\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "178257920\n",
		}, 0},
		{"v1 child limit", map[string]string{
			"proc/self/cgroup": selfV1,
			"sys/fs/cgroup/memory/kubepods/pod1/ctr/memory.limit_in_bytes": "178257920\n",
			"sys/fs/cgroup/memory/kubepods/pod1/memory.limit_in_bytes":     v1Unlimited,
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                   v1Unlimited,
		}, 178257920},
		{"v1 parent limit smaller", map[string]string{
			"proc/self/cgroup": selfV1,
			"sys/fs/cgroup/memory/kubepods/pod1/ctr/memory.limit_in_bytes": v1Unlimited,
			"sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes":          "178257920\n",
		}, 178257920},
		{"v1 with comma-separated controllers", map[string]string{
			"proc/self/cgroup": "5:cpu,cpuacct:/other\n4:memory,foo:/x\n",
			"sys/fs/cgroup/memory/x/memory.limit_in_bytes":     "178257920\n",
			"sys/fs/cgroup/memory/other/memory.limit_in_bytes": "1048576\n",
		}, 178257920},
		{"v1 without a limit", map[string]string{
			"proc/self/cgroup": selfV1,
			"sys/fs/cgroup/memory/kubepods/pod1/ctr/memory.limit_in_bytes": v1Unlimited,
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                   v1Unlimited,
		}, 0},
		{"namespace: own path missing under the mount, v2", map[string]string{
			"proc/self/cgroup":         selfV2,
			"sys/fs/cgroup/memory.max": "178257920\n",
		}, 178257920},
		{"namespace: own path missing under the mount, v1", map[string]string{
			"proc/self/cgroup":                           selfV1,
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "178257920\n",
		}, 178257920},
		{"no /proc/self/cgroup: the mount root", map[string]string{
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "178257920\n",
		}, 178257920},
		{"no escape from the mount", map[string]string{
			"proc/self/cgroup":         "0::/../../..\n",
			"sys/fs/cgroup/memory.max": "max\n",
			"memory.max":               "1048576\n",
		}, 0},
		{"garbage content", map[string]string{
			"proc/self/cgroup":           "garbage\n0::/x\n",
			"sys/fs/cgroup/x/memory.max": "lots\n",
			"sys/fs/cgroup/memory.max":   "-5\n",
		}, 0},
		{"garbage at one level, a limit at another", map[string]string{
			"proc/self/cgroup":                           selfV2,
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": "lots\n",
			"sys/fs/cgroup/memory.max":                   "178257920\n",
		}, 178257920},
		{"no cgroup files", map[string]string{}, 0},
	} {
		dir := t.TempDir()
		for name, content := range tc.files {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if got := cgroupLimit(dir); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestSet(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sys/fs/cgroup/memory.max")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("1000000000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := root
	root = dir
	t.Cleanup(func() { root = old })
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	want := int64(1000000000 * Share)
	if got, _ := Set(); got != want {
		t.Errorf("Set: %d, want %d", got, want)
	}
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("runtime memory limit %d, want %d", got, want)
	}
}

func TestExplicitGOMEMLIMITWins(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "100MiB")
	if got, _ := Set(); got != 0 {
		t.Errorf("Set with GOMEMLIMIT set: set %d, want nothing", got)
	}
}
