package clusterdns

import (
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

func TestParse(t *testing.T) {
	tests := []struct {
		input   string
		wantErr string // empty: must parse
		check   func(*config) bool
	}{
		{input: "clusterdns cluster.local in-addr.arpa ip6.arpa", check: func(c *config) bool {
			return len(c.zones) == 3 && c.primaryZone == "cluster.local." && c.ttl == 30 && c.hasReverse() && !c.podsInsecure
		}},
		{input: "clusterdns Cluster.Local 10.0.0.0/24", check: func(c *config) bool {
			return c.zones[0] == "cluster.local." && c.zones[1] == "0.0.10.in-addr.arpa."
		}},
		{input: "clusterdns cluster.local {\n kubeconfig /k ctx\n ttl 5\n pods insecure\n namespaces a b\n fallthrough in-addr.arpa\n}", check: func(c *config) bool {
			return c.kubeconfig == "/k" && c.context == "ctx" && c.ttl == 5 && c.podsInsecure && len(c.namespaces) == 2 && c.fall.Through("1.in-addr.arpa.")
		}},
		{input: "clusterdns cluster.local {\n manifests a.yaml dir\n}", check: func(c *config) bool {
			return len(c.manifests) == 2 && strings.HasPrefix(c.sourceKey(), "manifests:")
		}},
		{input: "clusterdns cluster.local {\n endpoint https://10.0.0.1:6443\n}", check: func(c *config) bool { return c.endpoint != "" }},
		{input: "clusterdns", wantErr: "no zones"},
		{input: "clusterdns in-addr.arpa", wantErr: "no forward zone"},
		{input: "clusterdns cluster.local {\n ttl -1\n}", wantErr: "ttl"},
		{input: "clusterdns cluster.local {\n ttl 3601\n}", wantErr: "ttl"},
		{input: "clusterdns cluster.local {\n ttl\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n pods verified\n}", wantErr: "disabled or insecure"},
		{input: "clusterdns cluster.local {\n endpoint 10.0.0.1\n}", wantErr: "URL"},
		{input: "clusterdns cluster.local {\n kubeconfig\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n namespaces\n}", wantErr: "Wrong argument count"},
		{input: "clusterdns cluster.local {\n manifests x\n kubeconfig y\n}", wantErr: "do not combine"},
		{input: "clusterdns cluster.local {\n bogus\n}", wantErr: "unknown property"},
		{input: "clusterdns cluster.local\nclusterdns example.org", wantErr: "only one"},
	}
	for _, tc := range tests {
		cfg, err := parse(caddy.NewTestController("dns", tc.input))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tc.input, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.input, err)
			continue
		}
		if !tc.check(cfg) {
			t.Errorf("%q: unexpected config %+v", tc.input, cfg)
		}
	}
}

// setup itself only parses and wires; a bad block is an error, not a panic.
func TestSetupErrors(t *testing.T) {
	if err := setup(caddy.NewTestController("dns", "clusterdns")); err == nil {
		t.Fatal("setup accepted a block without zones")
	}
	if err := setup(caddy.NewTestController("dns", "clusterdns cluster.local")); err != nil {
		t.Fatal(err)
	}
}
