package model

import (
	"testing"
)

// KindCounts reports the kinds whose initial list is in, and only those.
func TestKindCounts(t *testing.T) {
	st := NewStore()
	st.UpsertIngress(&Ingress{Meta: Meta{Namespace: "a", Name: "x", ResourceVersion: "1"}})
	st.UpsertIngress(&Ingress{Meta: Meta{Namespace: "a", Name: "y", ResourceVersion: "1"}})
	st.UpsertDNSEndpoint(&DNSEndpoint{Meta: Meta{Namespace: "a", Name: "z", ResourceVersion: "1"}})
	st.SetKindSynced(KindIngress)
	got := map[string]int{}
	st.Read(func(v View) { v.KindCounts(func(k string, n int) { got[k] = n }) })
	if len(got) != 1 || got["ingress"] != 2 {
		t.Fatalf("counts %v, want ingress 2 alone (DNSEndpoints not listed yet)", got)
	}
}
