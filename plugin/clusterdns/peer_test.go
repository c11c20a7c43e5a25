package clusterdns

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coredns/caddy"
)

// TestParsePeers: peer blocks in a clusterdns block, and the zone their exports are
// answered in.
func TestParsePeers(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	peer := func(name string) string { return " peer " + name + " {\n  kubeconfig " + kc + "\n }\n" }
	tests := []struct {
		input    string
		wantErr  string
		wantZone string
		peers    int
	}{
		{input: "clusterdns cluster.local {\n" + peer("east") + peer("west") + " ttl 5\n}", wantZone: "clusterset.local.", peers: 2},
		{input: "clusterdns cluster.local clusterset.local {\n multicluster clusterset.local\n" + peer("east") + "}", wantZone: "clusterset.local.", peers: 1},
		{input: "clusterdns cluster.local mc.example {\n multicluster mc.example\n" + peer("east") + "}", wantZone: "mc.example.", peers: 1},
		{input: "clusterdns {\n" + peer("east") + "}", wantZone: "clusterset.local.", peers: 1}, // a block of peers alone
		{input: "clusterdns cluster.local", wantZone: ""},
		{input: "clusterdns cluster.local {\n" + peer("east") + peer("East") + "}", wantErr: "peer east is named twice"},
	}
	for _, tc := range tests {
		cfg, err := parse(caddy.NewTestController("dns", tc.input))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one with %q", tc.input, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.input, err)
			continue
		}
		if z := cfg.peerZone(); z != tc.wantZone || len(cfg.peers) != tc.peers {
			t.Errorf("%q: zone %q and %d peers, want %q and %d", tc.input, z, len(cfg.peers), tc.wantZone, tc.peers)
		}
		if h := newClusterDNS(cfg); tc.wantZone != "" && !slices.Contains(h.Zones, tc.wantZone) {
			t.Errorf("%q: the handler's zones %v lack %s", tc.input, h.Zones, tc.wantZone)
		}
	}
}

// TestValidatePeers: clusterdns -validate loads each peer's kubeconfig (a missing one or a
// missing context is an error naming it) and reports the zone peers are answered in.
func TestValidatePeers(t *testing.T) {
	dir := t.TempDir()
	kc := filepath.Join(dir, "east.kubeconfig")
	const good = `apiVersion: v1
kind: Config
clusters: [{name: east, cluster: {server: "https://192.0.2.1:6443"}}]
users: [{name: dns, user: {token: x}}]
contexts: [{name: east, context: {cluster: east, user: dns}}]
current-context: east
`
	if err := os.WriteFile(kc, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	block := func(kubeconfig string) string {
		return "clusterdns cluster.local {\n peer east {\n  kubeconfig " + kubeconfig + "\n }\n}"
	}
	zones, err := Validate(caddy.NewTestController("dns", block(kc)))
	if err != nil || !slices.Contains(zones, "clusterset.local.") {
		t.Errorf("zones %v, error %v; want clusterset.local. and no error", zones, err)
	}
	missing := filepath.Join(dir, "missing.kubeconfig")
	for _, tc := range []struct{ block, want string }{
		{block(missing), missing},
		{block(kc + " nocontext"), "nocontext"},
	} {
		if _, err := Validate(caddy.NewTestController("dns", tc.block)); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "peer east") {
			t.Errorf("%q: error %v, want one naming peer east and %s", tc.block, err, tc.want)
		}
	}
}
