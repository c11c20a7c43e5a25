package model

import (
	"net/netip"
	"slices"
	"testing"
)

func pod(ns, name string, deleting bool, ips ...string) *Pod {
	p := &Pod{Meta: Meta{Namespace: ns, Name: name}, Deleting: deleting}
	for _, ip := range ips {
		p.IPs = append(p.IPs, netip.MustParseAddr(ip))
	}
	return p
}

func refs(s PodSet) []PodRef {
	var out []PodRef
	for i := range s.Len() {
		out = append(out, s.At(i))
	}
	return out
}

func TestPods(t *testing.T) {
	type step struct {
		upsert *Pod
		delete *Key
		// want: the pods of each address afterwards
		want map[string][]PodRef
	}
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")
	tests := []struct {
		name  string
		steps []step
	}{
		{"add, move, delete", []step{
			{upsert: pod("ns", "p", false, "10.0.0.1", "fd00::1"), want: map[string][]PodRef{"10.0.0.1": {{"ns", "p"}}, "fd00::1": {{"ns", "p"}}}},
			{upsert: pod("ns", "p", false, "fd00::1"), want: map[string][]PodRef{"fd00::1": {{"ns", "p"}}}},
			{delete: &Key{"ns", "p"}, want: map[string][]PodRef{}},
		}},
		{"shared address, sorted", []step{
			{upsert: pod("b", "host", false, "10.0.0.1"), want: map[string][]PodRef{"10.0.0.1": {{"b", "host"}}}},
			{upsert: pod("a", "host", false, "10.0.0.1"), want: map[string][]PodRef{"10.0.0.1": {{"a", "host"}, {"b", "host"}}}},
			{delete: &Key{"b", "host"}, want: map[string][]PodRef{"10.0.0.1": {{"a", "host"}}}},
		}},
		{"no address yet", []step{
			{upsert: pod("ns", "p", false), want: map[string][]PodRef{}},
			{upsert: pod("ns", "p", false, "10.0.0.1"), want: map[string][]PodRef{"10.0.0.1": {{"ns", "p"}}}},
			{upsert: pod("ns", "p", false), want: map[string][]PodRef{}},
		}},
		// as the kubernetes plugin: a deletion timestamp changes nothing
		{"deleting pod known before is kept", []step{
			{upsert: pod("ns", "p", false, "10.0.0.1"), want: map[string][]PodRef{"10.0.0.1": {{"ns", "p"}}}},
			{upsert: pod("ns", "p", true, "fd00::1"), want: map[string][]PodRef{"10.0.0.1": {{"ns", "p"}}}},
			{delete: &Key{"ns", "p"}, want: map[string][]PodRef{}},
		}},
		{"deleting pod first seen is not added", []step{
			{upsert: pod("ns", "p", true, "10.0.0.1"), want: map[string][]PodRef{}},
		}},
		{"delete of an unknown pod", []step{
			{delete: &Key{"ns", "p"}, want: map[string][]PodRef{}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newPods()
			for i, s := range tc.steps {
				if s.upsert != nil {
					p.Upsert(s.upsert)
				} else {
					p.Delete(*s.delete)
				}
				for _, ip := range []netip.Addr{a, b} {
					if got, want := refs(p.Get(ip)), s.want[ip.String()]; !slices.Equal(got, want) {
						t.Errorf("step %d: pods of %s = %v, want %v", i, ip, got, want)
					}
				}
				pods := map[PodRef]bool{}
				for _, refs := range s.want {
					for _, r := range refs {
						pods[r] = true
					}
				}
				if got := p.Len(); got != len(pods) {
					t.Errorf("step %d: Len = %d, want %d", i, got, len(pods))
				}
			}
		})
	}
}

func TestPodsInNamespace(t *testing.T) {
	p := newPods()
	p.Upsert(pod("podns", "foo", false, "10.240.0.1"))
	ip := netip.MustParseAddr("10.240.0.1")
	if !p.InNamespace(ip, "podns") {
		t.Error("InNamespace(10.240.0.1, podns) = false")
	}
	if p.InNamespace(ip, "other") || p.InNamespace(netip.MustParseAddr("10.240.0.2"), "podns") {
		t.Error("InNamespace true for another namespace or address")
	}
	// a query must not allocate: it runs per pod name and per autopath query
	if n := testing.AllocsPerRun(100, func() { p.InNamespace(ip, "podns") }); n != 0 {
		t.Errorf("InNamespace allocates %v times", n)
	}
}

type countingSubscriber struct{ n int }

func (c *countingSubscriber) Notify(Change) { c.n++ }

// TestPodsNotifyNobody: pod changes rebuild no names, so a pod churn cannot delay Service
// updates behind index rebuilds or the Store's lock.
func TestPodsNotifyNobody(t *testing.T) {
	st := NewStore()
	sub := &countingSubscriber{}
	st.Subscribe(sub)
	for i := range 1000 {
		p := pod("ns", "p", false, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}).String())
		st.Pods().Upsert(p)
		if i%2 == 1 {
			st.Pods().Delete(Key{"ns", "p"})
		}
	}
	if sub.n != 0 {
		t.Errorf("1000 pod changes notified subscribers %d times, want 0", sub.n)
	}
}
