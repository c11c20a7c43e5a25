package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// The README's dnsendpoints example, from manifests: the DNSEndpoint as external-dns users
// write it, and the names it answers in the forward and the reverse zone.
const dnsEndpointManifest = `
apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: {name: postgres, namespace: databases}
spec:
  endpoints:
  - {dnsName: pg.ext.internal, recordType: A, recordTTL: 120, targets: [10.1.0.5]}
  - {dnsName: _postgresql._tcp.ext.internal, recordType: SRV, targets: ["0 10 5432 pg.ext.internal."]}
---
apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: {name: elsewhere, namespace: tenant}
spec:
  endpoints:
  - {dnsName: pg.ext.internal, recordType: A, targets: [10.6.6.6]}
`

func TestDNSEndpointsFromManifests(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "dnsendpoints.yaml")
	if err := os.WriteFile(manifest, []byte(dnsEndpointManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns {
        manifests %s
        private ext.internal {
            dnsendpoints
            namespaces databases
        }
        private 10.in-addr.arpa {
            dnsendpoints
            namespaces databases
        }
    }
}
`, port, manifest))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.ExpectNow(t, addr, "pg.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.5") // not the tenant's
	harness.ExpectNow(t, addr, "_postgresql._tcp.ext.internal.", dns.TypeSRV, "NOERROR: SRV 0 10 5432 pg.ext.internal.")
	harness.ExpectNow(t, addr, "5.0.1.10.in-addr.arpa.", dns.TypePTR, "NOERROR: PTR pg.ext.internal.")
	if r := harness.Query(t, addr, "pg.ext.internal.", dns.TypeA); r.Answer[0].Header().Ttl != 120 {
		t.Errorf("pg.ext.internal. TTL %d, want 120", r.Answer[0].Header().Ttl)
	}
	if r := harness.Query(t, addr, "_postgresql._tcp.ext.internal.", dns.TypeSRV); r.Answer[0].Header().Ttl != 30 {
		t.Errorf("the SRV's TTL %d, want the zone's 30", r.Answer[0].Header().Ttl)
	}
}
