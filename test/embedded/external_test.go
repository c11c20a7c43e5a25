package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"

	coretest "github.com/coredns/coredns/test"

	"github.com/miekg/dns"
)

const externalManifest = `
apiVersion: v1
kind: Service
metadata: {name: lb, namespace: shop}
spec: {type: LoadBalancer, clusterIP: 10.96.0.20, ports: [{name: https, port: 443, protocol: TCP}]}
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}]}}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: shop}
spec: {clusterIP: 10.96.0.21, externalIPs: [192.0.2.11], ports: [{port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: shop}
spec: {clusterIP: 10.96.0.22, ports: [{port: 80, protocol: TCP}]}
`

// k8s_external cannot find clusterdns (it looks up the handler named kubernetes), so a server
// with it and no kubernetes block does not start; the README's replacement, a private zone
// with `services all`, answers its names: SERVICE.NAMESPACE.ZONE with the load balancer or
// external IPs, SRV for named ports, NXDOMAIN for a Service with neither.
func TestExternalAsPrivateZone(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "services.yaml")
	if err := os.WriteFile(manifest, []byte(externalManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	if i, err := coretest.CoreDNSServer(fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    k8s_external example.org
    clusterdns cluster.local {
        manifests %s
    }
}
`, port, manifest)); err == nil {
		i.Stop()
		i.ShutdownCallbacks()
		t.Fatal("k8s_external started without a kubernetes block: update the README's k8s_external section")
	} else if !strings.Contains(err.Error(), "kubernetes plugin not loaded") {
		t.Fatalf("k8s_external without kubernetes: %v", err)
	}

	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        manifests %s
        private example.org {
            services all
        }
    }
}
`, port, manifest))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.ExpectNow(t, addr, "lb.shop.example.org.", dns.TypeA, "NOERROR: A 192.0.2.10")
	harness.ExpectNow(t, addr, "ext.shop.example.org.", dns.TypeA, "NOERROR: A 192.0.2.11")
	harness.ExpectNow(t, addr, "_https._tcp.lb.shop.example.org.", dns.TypeSRV, "NOERROR: SRV 0 100 443 lb.shop.example.org.")
	harness.ExpectNow(t, addr, "internal.shop.example.org.", dns.TypeA, "NXDOMAIN: ")
	if r := harness.Query(t, addr, "example.org.", dns.TypeNS); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.NS).Ns != "ns.dns.example.org." {
		t.Errorf("NS at the apex: %v", r)
	}
	if r := harness.Query(t, addr, "example.org.", dns.TypeSOA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].(*dns.SOA).Ns != "ns.dns.example.org." {
		t.Errorf("SOA at the apex: %v", r)
	}
}
