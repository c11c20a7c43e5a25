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

func TestIsReverse(t *testing.T) {
	for zone, want := range map[string]bool{
		"in-addr.arpa.": true, "10.in-addr.arpa.": true, "ip6.arpa.": true, "d.f.ip6.arpa.": true,
		"arpa.": false, "cluster.local.": false, "in-addr.arpa.example.": false, ".": false,
	} {
		if got := IsReverse(zone); got != want {
			t.Errorf("IsReverse(%q) = %v", zone, got)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"a.example.", "a.example.", true},
		{"a.example.", "b.a.example.", true},
		{"b.a.example.", "a.example.", true},
		{"a.example.", "b.example.", false},
		{"a.example.", "ba.example.", false},
	} {
		if got := Overlap(tc.a, tc.b); got != tc.want {
			t.Errorf("Overlap(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
