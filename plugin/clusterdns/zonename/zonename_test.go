package zonename

import "testing"

func TestMatch(t *testing.T) {
	zones := []string{"cluster.local.", "in-addr.arpa.", "sub.cluster.local."}
	for name, want := range map[string]string{
		"a.cluster.local.":     "cluster.local.",
		"cluster.local.":       "cluster.local.",
		"xcluster.local.":      "",
		"a.sub.cluster.local.": "sub.cluster.local.",
		"1.in-addr.arpa.":      "in-addr.arpa.",
		"example.org.":         "",
	} {
		if got := Match(zones, name); got != want {
			t.Errorf("Match(%q) = %q, want %q", name, got, want)
		}
	}
	if got := Match([]string{"."}, "a.b."); got != "." {
		t.Errorf("root zone: got %q", got)
	}
}
