package stub

import (
	"slices"
	"testing"
)

func TestOrder(t *testing.T) {
	resolvers := func(up ...bool) []*resolver {
		var rs []*resolver
		for i, u := range up {
			r := &resolver{addr: string(rune('a' + i))}
			r.up.Store(u)
			rs = append(rs, r)
		}
		return rs
	}
	addrs := func(rs []*resolver) string {
		var s string
		for _, r := range rs {
			s += r.addr
		}
		return s
	}
	tests := []struct {
		policy Policy
		up     []bool
		want   []string // the orders of successive queries
	}{
		{Sequential, []bool{true, true, true}, []string{"abc", "abc"}},
		{Sequential, []bool{false, true, true}, []string{"bc", "bc"}},
		{Sequential, []bool{false, false, false}, []string{"", ""}},
		{RoundRobin, []bool{true, true, true}, []string{"abc", "bca", "cab", "abc"}},
		{RoundRobin, []bool{true, false, true}, []string{"ac", "ca", "ac"}},
		{RoundRobin, []bool{false, true, false}, []string{"b", "b"}},
	}
	for _, tt := range tests {
		o := &order{policy: tt.policy}
		rs := resolvers(tt.up...)
		var got []string
		for range tt.want {
			got = append(got, addrs(o.healthy(rs)))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: orders %v, want %v", tt.policy, tt.up, got, tt.want)
		}
	}

	// random: each query gets every healthy resolver once, and every order shows up.
	o := &order{policy: Random}
	rs := resolvers(true, false, true, true)
	seen := map[string]bool{}
	for range 1000 {
		got := []byte(addrs(o.healthy(rs)))
		seen[string(got)] = true
		slices.Sort(got)
		if string(got) != "acd" {
			t.Fatalf("random: got %s, want a permutation of acd", got)
		}
	}
	if len(seen) != 6 {
		t.Errorf("random: %d of the 6 orders in 1000 queries: %v", len(seen), seen)
	}
}
