package integration

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

var dnsEndpointGVR = schema.GroupVersionResource{Group: "externaldns.k8s.io", Version: "v1alpha1", Resource: "dnsendpoints"}

// dnsEndpointObj is a DNSEndpoint; each entry is "NAME TYPE [ttl=SECONDS] TARGET|TARGET...".
func dnsEndpointObj(ns, name string, entries ...string) *unstructured.Unstructured {
	var eps []any
	for _, e := range entries {
		f := strings.SplitN(e, " ", 3)
		ep := map[string]any{"dnsName": f[0], "recordType": f[1]}
		rest := f[2]
		if ttl, r, ok := strings.Cut(rest, " "); ok && strings.HasPrefix(ttl, "ttl=") {
			n, err := strconv.ParseInt(ttl[len("ttl="):], 10, 64)
			if err != nil {
				panic(err)
			}
			ep["recordTTL"], rest = n, r
		}
		var targets []any
		for _, t := range strings.Split(rest, "|") {
			targets = append(targets, t)
		}
		ep["targets"] = targets
		eps = append(eps, ep)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "externaldns.k8s.io/v1alpha1",
		"kind":       "DNSEndpoint",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"endpoints": eps},
	}}
}

// dnsepLog collects what the server logs (CoreDNS logs through the standard logger).
type dnsepLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *dnsepLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *dnsepLog) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), s)
}

// A private zone with dnsendpoints follows external-dns's DNSEndpoints on a real API
// server (the CRD from external-dns's own module): every record type, per entry, within a
// second of each change; bad entries are skipped and logged once while the rest serves.
func TestDNSEndpointsFollowTheAPI(t *testing.T) {
	logs := &dnsepLog{}
	saved := log.Writer()
	log.SetOutput(logs)
	t.Cleanup(func() { log.SetOutput(saved) })

	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.ExternalDNS, "config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml")
	ns := e.Namespace(t, "dnsep")
	ctx := context.Background()
	res := e.Dynamic(t).Resource(dnsEndpointGVR).Namespace(ns)
	apply := func(o *unstructured.Unstructured) {
		t.Helper()
		if _, err := res.Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private ext.internal {
            dnsendpoints
            namespaces %s
        }
        private 10.in-addr.arpa {
            dnsendpoints
            namespaces %s
        }
        private sslip.internal {
            magic
        }
    }
}
`, port, e.Kubeconfig, ns, ns))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	expect := func(name string, qtype uint16, want string) {
		t.Helper()
		harness.Expect(t, within, addr, name, qtype, want)
	}
	// settle creates one more DNSEndpoint and waits until both zones serve it: they have
	// then applied every earlier DNSEndpoint event (one watch delivers them in order, and
	// each zone rebuilds from the whole Store).
	var sentinels atomic.Int32
	settle := func() {
		t.Helper()
		n := sentinels.Add(1)
		name, ip := fmt.Sprintf("sentinel-%d", n), fmt.Sprintf("10.255.0.%d", n)
		apply(dnsEndpointObj(ns, name, name+".ext.internal A "+ip))
		expect(name+".ext.internal.", dns.TypeA, "NOERROR: A "+ip)
		expect(fmt.Sprintf("%d.0.255.10.in-addr.arpa.", n), dns.TypePTR, "NOERROR: PTR "+name+".ext.internal.")
	}

	apply(dnsEndpointObj(ns, "db",
		"pg.ext.internal A ttl=120 10.1.0.5",
		"pg.ext.internal AAAA fd00::5",
		"replica.ext.internal A 10.1.0.6",
		"_postgresql._tcp.ext.internal SRV 0 10 5432 pg.ext.internal.|0 10 x bad",
		"ext.internal CNAME elsewhere.example.com",
		"legacy.ext.internal CNAME mf01.corp.example.com",
		"mail.ext.internal MX 10 mx1.corp.example.com",
		"mail.ext.internal TXT v=spf1 include:corp.example.com -all",
		"branch.ext.internal NS ns1.branch.example.com",
		"9.0.1.10.in-addr.arpa PTR printer.corp.example.com",
	))
	expect("pg.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.5")
	expect("pg.ext.internal.", dns.TypeAAAA, "NOERROR: AAAA fd00::5")
	expect("replica.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.6") // each entry's own targets
	expect("_postgresql._tcp.ext.internal.", dns.TypeSRV, "NOERROR: SRV 0 10 5432 pg.ext.internal.")
	expect("legacy.ext.internal.", dns.TypeCNAME, "NOERROR: CNAME mf01.corp.example.com.")
	expect("mail.ext.internal.", dns.TypeMX, "NOERROR: MX 10 mx1.corp.example.com.")
	expect("mail.ext.internal.", dns.TypeTXT, `NOERROR: TXT "v=spf1 include:corp.example.com -all"`)
	expect("9.0.1.10.in-addr.arpa.", dns.TypePTR, "NOERROR: PTR printer.corp.example.com.")
	expect("5.0.1.10.in-addr.arpa.", dns.TypePTR, "NOERROR: PTR pg.ext.internal.")
	if m := harness.Query(t, addr, "pg.ext.internal.", dns.TypeA); m.Answer[0].Header().Ttl != 120 {
		t.Errorf("pg.ext.internal. TTL %d, want the entry's recordTTL 120", m.Answer[0].Header().Ttl)
	}
	if m := harness.Query(t, addr, "db.branch.ext.internal.", dns.TypeA); m.Authoritative || len(m.Ns) != 1 || m.Ns[0].(*dns.NS).Ns != "ns1.branch.example.com." {
		t.Errorf("below an NS entry: %v; want a referral", m)
	}
	// the apex CNAME is skipped: the apex keeps its SOA
	expect("ext.internal.", dns.TypeCNAME, "NOERROR: ")
	for _, want := range []string{
		"DNSEndpoint " + ns + `/db: _postgresql._tcp.ext.internal. SRV target "0 10 x bad"`,
		"DNSEndpoint " + ns + "/db: ext.internal. CNAME: a CNAME at the zone apex",
	} {
		harness.Eventually(t, within, "log: "+want, func() (bool, string) { return logs.count(want) == 1, fmt.Sprint(logs.count(want), " lines") })
	}

	// a change of the spec follows; one of the status changes nothing
	patch := []byte(`[{"op":"replace","path":"/spec/endpoints/0/targets","value":["10.1.0.7"]}]`)
	if _, err := res.Patch(ctx, "db", types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("pg.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.7")
	status := []byte(`{"status":{"observedGeneration":2}}`)
	if _, err := res.Patch(ctx, "db", types.MergePatchType, status, metav1.PatchOptions{}, "status"); err != nil {
		t.Fatal(err)
	}
	settle()
	harness.ExpectNow(t, addr, "pg.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.7")

	// bad objects are skipped and logged, the rest of the zone keeps serving
	apply(dnsEndpointObj(ns, "broken",
		"bad_name!.ext.internal A 10.1.0.8",
		"_x._tcp.ext.internal SRV 5060 sip.corp.example.com",
		"ok.ext.internal A 10.1.0.19|not-an-address",
	))
	expect("ok.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.19")
	harness.ExpectNow(t, addr, "pg.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.7")
	harness.ExpectNow(t, addr, "_x._tcp.ext.internal.", dns.TypeSRV, "NXDOMAIN: ")
	for _, want := range []string{
		"DNSEndpoint " + ns + `/broken: dnsName "bad_name!.ext.internal." is not a valid DNS name`,
		"DNSEndpoint " + ns + `/broken: _x._tcp.ext.internal. SRV target "5060 sip.corp.example.com": want PRIORITY WEIGHT PORT HOST`,
		"DNSEndpoint " + ns + `/broken: ok.ext.internal. A target "not-an-address": not an IP address`,
	} {
		harness.Eventually(t, within, "log: "+want, func() (bool, string) { return logs.count(want) == 1, fmt.Sprint(logs.count(want), " lines") })
	}

	// magic names need no object
	expect("app.10-0-0-1.sslip.internal.", dns.TypeA, "NOERROR: A 10.0.0.1")
	expect("--1.sslip.internal.", dns.TypeAAAA, "NOERROR: AAAA ::1")

	// deleted: the names go, in both zones
	if err := res.Delete(ctx, "db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	settle()
	harness.ExpectNow(t, addr, "pg.ext.internal.", dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "9.0.1.10.in-addr.arpa.", dns.TypePTR, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "ok.ext.internal.", dns.TypeA, "NOERROR: A 10.1.0.19")
	// each problem was logged once, however often the zone was rebuilt since
	if n := logs.count(`SRV target "0 10 x bad"`); n != 1 {
		t.Errorf("the bad SRV target was logged %d times, want once", n)
	}
}
