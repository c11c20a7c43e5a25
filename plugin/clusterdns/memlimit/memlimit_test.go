package memlimit

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCgroupLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v2 := write("memory.max", "178257920\n")
	v2max := write("memory.max.unlimited", "max\n")
	v1 := write("memory.limit_in_bytes", "178257920\n")
	v1none := write("memory.limit_in_bytes.unlimited", "9223372036854771712\n")
	bad := write("garbage", "lots\n")
	missing := filepath.Join(dir, "missing")
	for _, tc := range []struct {
		name  string
		files []string
		want  int64
	}{
		{"v2", []string{v2, v1}, 178257920},
		{"v2 without a limit", []string{v2max, v1}, 0},
		{"v1", []string{missing, v1}, 178257920},
		{"v1 without a limit", []string{missing, v1none}, 0},
		{"unreadable content", []string{bad}, 0},
		{"no cgroup files", []string{missing}, 0},
	} {
		if got := cgroupLimit(tc.files); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestExplicitGOMEMLIMITWins(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "100MiB")
	if got := Set(); got != 0 {
		t.Errorf("Set with GOMEMLIMIT set: set %d, want nothing", got)
	}
}
