package clusterdns

import (
	"slices"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/test"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// pods is a ClientPod from a table of addresses.
func pods(byIP map[string][2]string) ClientPod {
	return func(ip string) (string, string, bool) {
		p, ok := byIP[ip]
		return p[0], p[1], ok
	}
}

func TestAutoPath(t *testing.T) {
	saved := autoPathSearch
	autoPathSearch = func() []string { return []string{"corp.example.", "example.com."} }
	t.Cleanup(func() { autoPathSearch = saved })
	newHandler := func(block string, cp ClientPod) *ClusterDNS {
		cfg, err := parse(caddy.NewTestController("dns", block))
		if err != nil {
			t.Fatal(err)
		}
		h := newClusterDNS(cfg)
		h.ClientPod = cp
		return h
	}
	known := pods(map[string][2]string{"10.244.0.5": {"shop", "web-0"}})
	tests := []struct {
		name   string
		block  string
		pods   ClientPod
		qname  string
		client string
		want   []string
	}{
		{"pod in a cluster zone", "clusterdns cluster.local", known, "google.com.shop.svc.cluster.local.", "10.244.0.5",
			[]string{"shop.svc.cluster.local.", "svc.cluster.local.", "cluster.local.", "corp.example.", "example.com.", ""}},
		{"root zone", "clusterdns .", known, "google.com.shop.svc.", "10.244.0.5",
			[]string{"shop.svc.", "svc.", ".", "corp.example.", "example.com.", ""}},
		{"unknown client", "clusterdns cluster.local", known, "google.com.shop.svc.cluster.local.", "10.244.0.6", nil},
		{"outside the cluster zones", "clusterdns cluster.local", known, "google.com.", "10.244.0.5", nil},
		{"a private zone", "clusterdns cluster.local {\n private corp.example\n}", known, "www.corp.example.", "10.244.0.5", nil},
		// no ClientPod (a block without pods verified): autopath does nothing
		{"no pods", "clusterdns cluster.local", nil, "google.com.shop.svc.cluster.local.", "10.244.0.5", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandler(tc.block, tc.pods)
			m := new(dns.Msg)
			m.SetQuestion(tc.qname, dns.TypeA)
			got := h.AutoPath(request.Request{Req: m, W: &test.ResponseWriter{RemoteIP: tc.client}})
			if !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("AutoPath = %q, want %q", got, tc.want)
			}
		})
	}
}
