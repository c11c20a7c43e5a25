package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// The README's magic example: in the pods' block, beside the cluster zone, a private
// sslip.io zone with magic answers Knative's default-domain names locally.
func TestMagicSslipInPodsBlock(t *testing.T) {
	manifest := filepath.Join(t.TempDir(), "services.yaml")
	if err := os.WriteFile(manifest, []byte(externalManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local in-addr.arpa ip6.arpa {
        manifests %s
        private sslip.io {
            magic
        }
    }
}
`, port, manifest))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.ExpectNow(t, addr, "hello.default.10.0.0.1.sslip.io.", dns.TypeA, "NOERROR: A 10.0.0.1")
	harness.ExpectNow(t, addr, "hello-default.192-0-2-10.sslip.io.", dns.TypeA, "NOERROR: A 192.0.2.10")
	harness.ExpectNow(t, addr, "2001-db8--1.sslip.io.", dns.TypeAAAA, "NOERROR: AAAA 2001:db8::1")
	harness.ExpectNow(t, addr, "hello.default.10.0.0.1.sslip.io.", dns.TypeAAAA, "NOERROR: ")
	harness.ExpectNow(t, addr, "sslip.io.", dns.TypeA, "NOERROR: ")
	harness.ExpectNow(t, addr, "no-address.sslip.io.", dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "lb.shop.svc.cluster.local.", dns.TypeA, "NOERROR: A 10.96.0.20")
	if r := harness.Query(t, addr, "10.0.0.1.sslip.io.", dns.TypeA); !r.Authoritative || r.Answer[0].Header().Ttl != 30 {
		t.Errorf("10.0.0.1.sslip.io.: %v; want an authoritative answer with the zone's TTL 30", r)
	}
}
