package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

const transferManifest = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {clusterIP: 10.96.0.10, ports: [{name: http, port: 80, protocol: TCP}]}
`

// The cluster zone is transferred through CoreDNS's transfer plugin, as the kubernetes
// plugin's, to the peers of a transfer block; a server block without one refuses.
func TestClusterZoneTransfer(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "services.yaml")
	if err := os.WriteFile(manifest, []byte(transferManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	open, closed := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        manifests %[2]s
    }
    transfer cluster.local {
        to *
    }
}
.:%[3]d {
    bind 127.0.0.1
    clusterdns cluster.local {
        manifests %[2]s
    }
}
`, open, manifest, closed))
	openAddr, closedAddr := fmt.Sprintf("127.0.0.1:%d", open), fmt.Sprintf("127.0.0.1:%d", closed)
	harness.ExpectNow(t, openAddr, "web.default.svc.cluster.local.", dns.TypeA, "NOERROR: A 10.96.0.10")

	m := new(dns.Msg)
	m.SetAxfr("cluster.local.")
	env, err := new(dns.Transfer).In(m, openAddr)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for e := range env {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		for _, rr := range e.RR {
			got = append(got, rr.Header().Name+" "+dns.TypeToString[rr.Header().Rrtype])
		}
	}
	want := []string{
		"cluster.local. SOA",
		"web.default.svc.cluster.local. A",
		"web.default.svc.cluster.local. SRV",
		"_http._tcp.web.default.svc.cluster.local. SRV",
		"cluster.local. SOA",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("AXFR gave\n%v\nwant\n%v", got, want)
	}

	tcp := &dns.Client{Net: "tcp"}
	if r, _, err := tcp.Exchange(m, closedAddr); err != nil || r.Rcode != dns.RcodeRefused {
		t.Fatalf("AXFR without a transfer block: %v %v", r, err)
	}
}
