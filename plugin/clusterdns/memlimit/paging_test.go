package memlimit

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestRandomBinaryPaging checks in the kernel's own view (VmFlags "rr" in smaps) that the
// test binary's code mapping is read without readahead after the call.
func TestRandomBinaryPaging(t *testing.T) {
	advised, err := RandomBinaryPaging()
	if err != nil {
		t.Fatal(err)
	}
	if advised <= 0 {
		t.Fatalf("advised %d bytes, want the binary's mappings", advised)
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var code, checked bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if fields := strings.Fields(line); len(fields) >= 6 && strings.Contains(fields[0], "-") {
			code = fields[5] == exe && fields[1] == "r-xp"
			continue
		}
		if code && strings.HasPrefix(line, "VmFlags:") {
			checked = true
			if !strings.Contains(line+" ", " rr ") {
				t.Errorf("the binary's code mapping has %q, want rr (MADV_RANDOM)", line)
			}
		}
	}
	if !checked {
		t.Errorf("no code mapping of %s in /proc/self/smaps", exe)
	}
}
