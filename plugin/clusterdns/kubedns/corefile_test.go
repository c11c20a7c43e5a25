package kubedns

import (
	"reflect"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"

	"github.com/coredns/caddy"
)

func TestCorefile(t *testing.T) {
	tests := []struct {
		data map[string]string
		want string
	}{
		{map[string]string{
			stubDomainsKey: `{"corp.example": ["10.0.0.1", "10.0.0.2:5353"], "acme.local": ["fd00::53"]}`,
			upstreamsKey:   `["8.8.8.8", "8.8.4.4"]`,
		}, `# From kube-dns's ConfigMap: merge into the server block.
clusterdns cluster.local in-addr.arpa ip6.arpa {
    stub acme.local [fd00::53]:53
    stub corp.example 10.0.0.1:53 10.0.0.2:5353
}
forward . 8.8.8.8:53 8.8.4.4:53
`},
		{map[string]string{stubDomainsKey: `{"acme.local": ["1.2.3.4"]}`}, `# From kube-dns's ConfigMap: merge into the server block.
clusterdns cluster.local in-addr.arpa ip6.arpa {
    stub acme.local 1.2.3.4:53
}
`},
		{map[string]string{upstreamsKey: `["1.1.1.1"]`}, `# From kube-dns's ConfigMap: merge into the server block.
forward . 1.1.1.1:53
`},
		{map[string]string{}, `# From kube-dns's ConfigMap: merge into the server block.
# It sets neither stubDomains nor upstreamNameservers: nothing to add.
`},
	}
	for _, tt := range tests {
		cfg, err := Parse(tt.data)
		if err != nil {
			t.Fatal(err)
		}
		got := cfg.Corefile()
		if got != tt.want {
			t.Errorf("%v:\n got %s\nwant %s", tt.data, got, tt.want)
		}
		checkStubLines(t, got, cfg.Stubs)
	}
}

// checkStubLines parses the stub lines of a printed Corefile back, as the clusterdns block
// would: they must give the stubs printed.
func checkStubLines(t *testing.T, corefile string, want []*stub.Config) {
	t.Helper()
	var got []*stub.Config
	for line := range strings.Lines(corefile) {
		if !strings.HasPrefix(strings.TrimSpace(line), "stub ") {
			continue
		}
		c := caddy.NewTestController("dns", line)
		c.Next()
		cfg, err := stub.ParseBlock(c)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, cfg)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stub lines parse back to %+v, want %+v", got, want)
	}
}
