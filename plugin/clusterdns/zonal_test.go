package clusterdns

import (
	"testing"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// Beyond the plugin's table (kubernetes_port_test.go): a zone with dots, a question in
// mixed case, endpoints without a zone, and names the option leaves alone.
func TestZonalNames(t *testing.T) {
	h := newPortHandler(t, "clusterdns cluster.local {\n zonal\n}", `
apiVersion: v1
kind: Service
metadata: {name: db, namespace: default}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-1, namespace: default, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
ports: [{name: pg, port: 5432, protocol: TCP}]
endpoints:
- {addresses: [10.1.0.1], zone: Corp.Example.com, hostname: db-0}
- {addresses: [10.1.0.2]}
---
apiVersion: v1
kind: Service
metadata: {name: ext, namespace: default}
spec: {type: ExternalName, externalName: db.default.svc.cluster.local}
`)
	soa := []dns.RR{soaTTL("cluster.local.", 5)}
	run(t, h, []test.Case{
		{Qname: "corp.example.com.pin._zone.db.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("corp.example.com.pin._zone.db.default.svc.cluster.local.	5	IN	A	10.1.0.1")}},
		{Qname: "CORP.example.com.PIN._Zone.DB.default.svc.cluster.local.", Qtype: dns.TypeA,
			Answer: []dns.RR{test.A("CORP.example.com.PIN._Zone.DB.default.svc.cluster.local.	5	IN	A	10.1.0.1")}},
		{Qname: "corp.example.com.pin._zone.db.default.svc.cluster.local.", Qtype: dns.TypeSRV,
			Answer: []dns.RR{test.SRV("corp.example.com.pin._zone.db.default.svc.cluster.local.	5	IN	SRV	0 100 5432 db-0.db.default.svc.cluster.local.")},
			Extra:  []dns.RR{test.A("db-0.db.default.svc.cluster.local.	5	IN	A	10.1.0.1")}},
		// the endpoint without a zone is in none, not in the empty one
		{Qname: "example.com.pin._zone.db.default.svc.cluster.local.", Qtype: dns.TypeA, Ns: soa},
		{Qname: "example.com.prefer._zone.db.default.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("example.com.prefer._zone.db.default.svc.cluster.local.	5	IN	A	10.1.0.1"),
			test.A("example.com.prefer._zone.db.default.svc.cluster.local.	5	IN	A	10.1.0.2"),
		}},
		{Qname: "a.pin._zone.ext.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa},
		{Qname: "a.pin._zone.db.default.pod.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa},
		{Qname: "pin._zone.db.default.svc.cluster.local.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: soa},
		// plain names are not affected
		{Qname: "db.default.svc.cluster.local.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.A("db.default.svc.cluster.local.	5	IN	A	10.1.0.1"),
			test.A("db.default.svc.cluster.local.	5	IN	A	10.1.0.2"),
		}},
	})
}
