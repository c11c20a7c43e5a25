package clusterdns

import (
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

// A block with nodeports keeps the endpoints' nodes, so it reads the API server through
// watches of its own; manifests have no Nodes.
func TestParseNodePorts(t *testing.T) {
	for _, tc := range []struct {
		input   string
		key     string // sourceKey
		wantErr string
	}{
		{input: "clusterdns {\n private a.example {\n  nodeports\n }\n}", key: "kube:in-cluster+nodenames"},
		{input: "clusterdns cluster.local {\n private a.example {\n  services\n }\n}", key: "kube:in-cluster"},
		{input: "clusterdns {\n manifests m.yaml\n private a.example {\n  nodeports ExternalIP\n }\n}", wantErr: "nodeports reads Nodes from an API server"},
	} {
		c, err := parse(caddy.NewTestController("dns", tc.input))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want %q", tc.input, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.input, err)
		} else if got := c.sourceKey(); got != tc.key {
			t.Errorf("%q: source %s, want %s", tc.input, got, tc.key)
		}
	}
}
