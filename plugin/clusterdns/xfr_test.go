package clusterdns

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin/transfer"

	"github.com/miekg/dns"
)

// xfrObjects are the objects of the kubernetes plugin's xfr_test.go (APIConnServeTest),
// as API objects: IPv4 and IPv6 endpoints of hdls1 are in two slices, as the API server
// keeps them, so their SRV weights are 100/4 and 100/2 where the plugin's fixture, one
// mixed subset of 6, has 16.
const xfrObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: testns}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: v1
kind: Service
metadata: {name: svc1, namespace: testns}
spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: svcempty, namespace: testns}
spec: {clusterIP: 10.0.0.1, ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc6, namespace: testns}
spec: {clusterIP: "1234:abcd::1", ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc-dual-stack, namespace: testns}
spec: {clusterIP: 10.0.0.3, clusterIPs: [10.0.0.3, "10::3"], ports: [{name: http, port: 80, protocol: TCP}]}
---
apiVersion: v1
kind: Service
metadata: {name: hdls1, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-4, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv4
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: [172.0.0.2]
- addresses: [172.0.0.3]
- addresses: [172.0.0.4]
  hostname: dup-name
- addresses: [172.0.0.5]
  hostname: dup-name
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdls1-6, namespace: testns, labels: {kubernetes.io/service-name: hdls1}}
addressType: IPv6
ports: [{name: http, port: 80, protocol: TCP}]
endpoints:
- addresses: ["5678:abcd::1"]
- addresses: ["5678:abcd::2"]
---
apiVersion: v1
kind: Service
metadata: {name: hdlsprtls, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: hdlsprtls-1, namespace: testns, labels: {kubernetes.io/service-name: hdlsprtls}}
addressType: IPv4
endpoints:
- addresses: [172.0.0.20]
---
apiVersion: v1
kind: Service
metadata: {name: hdlsempty, namespace: testns}
spec: {clusterIP: None}
---
apiVersion: v1
kind: Service
metadata: {name: external, namespace: testns}
spec: {type: ExternalName, externalName: ext.interwebs.test}
---
apiVersion: v1
kind: Service
metadata: {name: external-to-service, namespace: testns}
spec: {type: ExternalName, externalName: svc1.testns.svc.cluster.local}
---
apiVersion: v1
kind: Service
metadata: {name: kubedns, namespace: kube-system}
spec: {clusterIP: 10.0.0.10, ports: [{name: dns, port: 53, protocol: UDP}]}
`

// expectedXFR is the kubernetes plugin's expectedZone (xfr_test.go) for these objects; SERIAL
// is the snapshot's.
const expectedXFR = `
cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5
cluster.local.	5	IN	NS	ns.dns.cluster.local.
ns.dns.cluster.local.	5	IN	A	10.0.0.10
external.testns.svc.cluster.local.	5	IN	CNAME	ext.interwebs.test.
external-to-service.testns.svc.cluster.local.	5	IN	CNAME	svc1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2
172-0-0-2.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.2
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 25 80 172-0-0-2.hdls1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3
172-0-0-3.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.3
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 25 80 172-0-0-3.hdls1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4
dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.4
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 25 80 dup-name.hdls1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5
dup-name.hdls1.testns.svc.cluster.local.	5	IN	A	172.0.0.5
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 25 80 dup-name.hdls1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1
5678-abcd--1.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::1
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 50 80 5678-abcd--1.hdls1.testns.svc.cluster.local.
hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2
5678-abcd--2.hdls1.testns.svc.cluster.local.	5	IN	AAAA	5678:abcd::2
_http._tcp.hdls1.testns.svc.cluster.local.	5	IN	SRV	0 50 80 5678-abcd--2.hdls1.testns.svc.cluster.local.
hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20
172-0-0-20.hdlsprtls.testns.svc.cluster.local.	5	IN	A	172.0.0.20
kubedns.kube-system.svc.cluster.local.	5	IN	A	10.0.0.10
kubedns.kube-system.svc.cluster.local.	5	IN	SRV	0 100 53 kubedns.kube-system.svc.cluster.local.
_dns._udp.kubedns.kube-system.svc.cluster.local.	5	IN	SRV	0 100 53 kubedns.kube-system.svc.cluster.local.
svc-dual-stack.testns.svc.cluster.local.	5	IN	A	10.0.0.3
svc-dual-stack.testns.svc.cluster.local.	5	IN	AAAA	10::3
svc-dual-stack.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc-dual-stack.testns.svc.cluster.local.
_http._tcp.svc-dual-stack.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc-dual-stack.testns.svc.cluster.local.
svc1.testns.svc.cluster.local.	5	IN	A	10.0.0.1
svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local.
_http._tcp.svc1.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc1.testns.svc.cluster.local.
svc6.testns.svc.cluster.local.	5	IN	AAAA	1234:abcd::1
svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local.
_http._tcp.svc6.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svc6.testns.svc.cluster.local.
svcempty.testns.svc.cluster.local.	5	IN	A	10.0.0.1
svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local.
_http._tcp.svcempty.testns.svc.cluster.local.	5	IN	SRV	0 100 80 svcempty.testns.svc.cluster.local.
cluster.local.	5	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. SERIAL 7200 1800 86400 5
`

// newXFRHandler is newTestHandler with the objects above and a server listening on
// 10.0.0.10 (the NS address).
func newXFRHandler(t *testing.T, block string) *ClusterDNS {
	t.Helper()
	h, _ := handlerFromYAML(t, block, xfrObjects, []netip.Addr{netip.MustParseAddr("10.0.0.10")}, nil)
	return h
}

// drain reads a transfer to its end.
func drain(ch <-chan []dns.RR) []dns.RR {
	var rrs []dns.RR
	for batch := range ch {
		rrs = append(rrs, batch...)
	}
	return rrs
}

func TestTransferCluster(t *testing.T) {
	h := newXFRHandler(t, "clusterdns cluster.local in-addr.arpa {\n ttl 5\n}")
	serial := h.index.Snapshot().Serial
	want := parseZone(t, strings.ReplaceAll(expectedXFR, "SERIAL", fmt.Sprint(serial)))
	tests := []struct {
		zone   string
		serial uint32 // 0: AXFR
		want   []dns.RR
	}{
		{"cluster.local.", 0, want},
		{"cluster.local.", serial - 1, want},             // IXFR from behind: the whole zone
		{"cluster.local.", serial, want[:1]},             // current: the SOA alone
		{"cluster.local.", serial + 1, want[:1]},         // ahead (a restarted primary): the SOA alone
		{"cluster.local.", serial - 1<<31 - 1, want[:1]}, // ahead, across the serial wrap (RFC 1982)
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %d", tc.zone, tc.serial), func(t *testing.T) {
			ch, err := h.Transfer(tc.zone, tc.serial)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(ch)
			if len(got) != len(tc.want) {
				t.Fatalf("%d records, want %d:\n%v", len(got), len(tc.want), got)
			}
			for i := range got {
				if !dns.IsDuplicate(got[i], tc.want[i]) || got[i].Header().Ttl != tc.want[i].Header().Ttl {
					t.Errorf("record %d: got %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestTransferRefused(t *testing.T) {
	h := newXFRHandler(t, "clusterdns cluster.local in-addr.arpa {\n namespaces kube-system\n}")
	tests := []struct {
		zone string
		want error
	}{
		{"example.com.", transfer.ErrNotAuthoritative},
		{"in-addr.arpa.", transfer.ErrNotAuthoritative}, // reverse names are made from the address asked
		{"svc.cluster.local.", transfer.ErrNotAuthoritative},
		{"testns.svc.cluster.local.", transfer.ErrNotAuthoritative},
	}
	for _, tc := range tests {
		if _, err := h.Transfer(tc.zone, 0); err != tc.want {
			t.Errorf("Transfer(%s) = %v, want %v", tc.zone, err, tc.want)
		}
	}
	// the namespaces filter holds for transfers too
	ch, err := h.Transfer("cluster.local.", 0)
	if err != nil {
		t.Fatal(err)
	}
	kubedns := 0
	for _, rr := range drain(ch) {
		if strings.Contains(rr.Header().Name, "testns") {
			t.Errorf("filtered namespace transferred: %v", rr)
		}
		if strings.HasSuffix(rr.Header().Name, "kubedns.kube-system.svc.cluster.local.") {
			kubedns++
		}
	}
	if kubedns != 3 {
		t.Errorf("%d records of kubedns, want 3 (A, two SRV)", kubedns)
	}
}

func TestTransferNotSynced(t *testing.T) {
	cfg, err := parse(caddy.NewTestController("dns", "clusterdns cluster.local"))
	if err != nil {
		t.Fatal(err)
	}
	h := newClusterDNS(cfg) // never started: no snapshot is complete
	if _, err := h.Transfer("cluster.local.", 0); err != errNotSynced {
		t.Fatalf("Transfer before sync = %v, want %v", err, errNotSynced)
	}
}

func parseZone(t *testing.T, text string) []dns.RR {
	t.Helper()
	var rrs []dns.RR
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	return rrs
}

// BenchmarkTransfer transfers the cluster zone of benchHandler (5,000 Services, 20,000
// endpoints): the cost of one AXFR to a secondary, channel included.
func BenchmarkTransfer(b *testing.B) {
	h, _ := benchHandler(b)
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		ch, err := h.Transfer("cluster.local.", 0)
		if err != nil {
			b.Fatal(err)
		}
		records = len(drain(ch))
	}
	b.ReportMetric(float64(records), "records")
}
