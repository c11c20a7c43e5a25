package private

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

const internalFile = `$ORIGIN example.internal.
$TTL 30
@ IN SOA ns hostmaster 5 7200 1800 86400 30
@ IN NS ns
ns IN A 10.0.0.53
web IN A 10.0.0.80
`

// startFileZone serves internalFile as a private zone; store is nil for a file-only zone.
func startFileZone(t *testing.T, store *model.Store, services Export) *Zone {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db.example.internal")
	if err := os.WriteFile(path, []byte(internalFile), 0o644); err != nil {
		t.Fatal(err)
	}
	z := New(&Config{Sources: Sources{Zone: "example.internal.", TTL: 30, Services: services}, File: path}, t.Logf)
	if err := z.Start(store, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	return z
}

func serve(t *testing.T, h plugin.Handler, tc test.Case) (int, *dns.Msg) {
	t.Helper()
	rec := dnstest.NewRecorder(&test.ResponseWriter{})
	rcode, err := h.ServeDNS(context.Background(), rec, tc.Msg())
	if err != nil {
		t.Fatal(err)
	}
	return rcode, rec.Msg
}

func zoneSOA(z *Zone) dns.RR {
	return test.SOA(fmt.Sprintf("example.internal.	30	IN	SOA	ns.example.internal. hostmaster.example.internal. %d 7200 1800 86400 30", z.Current().Serial()))
}

func TestServeDNS(t *testing.T) {
	z := startFileZone(t, nil, ExportNone)
	z.Fall = fall.F{Zones: []string{"web.example.internal."}} // names that exist under it are answered
	z.Next = test.NextHandler(dns.RcodeRefused, nil)
	soa := zoneSOA(z)
	ns := test.NS("example.internal.	30	IN	NS	ns.example.internal.")
	glue := test.A("ns.example.internal.	30	IN	A	10.0.0.53")
	for _, tc := range []test.Case{
		{Qname: "web.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.example.internal.	30	IN	A	10.0.0.80")}},
		// owner names keep the zone file's case, as the file plugin's
		{Qname: "WEB.Example.Internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.example.internal.	30	IN	A	10.0.0.80")}},
		{Qname: "web.example.internal.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa}},
		{Qname: "nope.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa}},
		{Qname: "example.internal.", Qtype: dns.TypeSOA, Answer: []dns.RR{soa}},
		{Qname: "example.internal.", Qtype: dns.TypeNS, Answer: []dns.RR{ns}, Extra: []dns.RR{glue}},
	} {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			rcode, m := serve(t, z, tc)
			if rcode != dns.RcodeSuccess || m == nil {
				t.Fatalf("rcode %d, reply %v: want a written reply", rcode, m)
			}
			if !m.Authoritative {
				t.Error("not authoritative")
			}
			if err := test.SortAndCheck(m, tc); err != nil {
				t.Error(err)
			}
		})
	}
	rcode, m := serve(t, z, test.Case{Qname: "x.web.example.internal.", Qtype: dns.TypeA})
	if rcode != dns.RcodeRefused || m != nil {
		t.Fatalf("x.web.example.internal.: rcode %d, reply %v: want it passed to the next plugin (REFUSED, nothing written)", rcode, m)
	}
}

// A zone whose cluster sources are not listed yet answers SERVFAIL, not NXDOMAIN: the
// names it will hold may exist.
func TestServeDNSNotReady(t *testing.T) {
	z := startFileZone(t, model.NewStore(), ExportAll)
	tc := test.Case{Qname: "web.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeServerFailure}
	_, m := serve(t, z, tc)
	if err := test.SortAndCheck(m, tc); err != nil {
		t.Error(err)
	}
}
