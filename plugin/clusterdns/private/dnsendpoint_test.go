package private

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

var dnsEndpointVersion atomic.Int64

func dnsEndpoint(ns, name string, records ...model.DNSRecordSet) *model.DNSEndpoint {
	rv := strconv.FormatInt(dnsEndpointVersion.Add(1), 10)
	return &model.DNSEndpoint{Meta: model.Meta{Namespace: ns, Name: name, ResourceVersion: rv}, Created: time.Unix(1e9, 0), Records: records}
}

func TestDNSRecordSet(t *testing.T) {
	src := &Sources{Zone: "ext.internal.", TTL: 30, DNSEndpoints: true}
	for _, tc := range []struct {
		name string
		set  model.DNSRecordSet
		want []string
		bad  []string // substrings of the problems, in order
	}{
		{"A", model.DNSRecordSet{Name: "db.ext.internal.", Type: "A", Targets: []string{"10.1.0.5", "10.1.0.6"}},
			[]string{"db.ext.internal.\t30\tIN\tA\t10.1.0.5", "db.ext.internal.\t30\tIN\tA\t10.1.0.6"}, nil},
		{"AAAA and recordTTL", model.DNSRecordSet{Name: "db.ext.internal.", Type: "AAAA", TTL: 300, Targets: []string{"fd00::5"}},
			[]string{"db.ext.internal.\t300\tIN\tAAAA\tfd00::5"}, nil},
		{"A with an IPv6 target", model.DNSRecordSet{Name: "db.ext.internal.", Type: "A", Targets: []string{"fd00::5", "10.1.0.5", "db"}},
			[]string{"db.ext.internal.\t30\tIN\tA\t10.1.0.5"}, []string{`target "fd00::5": not an IPv4 address; skipped`, `target "db": not an IP address; skipped`}},
		{"CNAME", model.DNSRecordSet{Name: "legacy.ext.internal.", Type: "CNAME", Targets: []string{"Host1.Example.com"}},
			[]string{"legacy.ext.internal.\t30\tIN\tCNAME\thost1.example.com."}, nil},
		{"CNAME at the apex", model.DNSRecordSet{Name: "ext.internal.", Type: "CNAME", Targets: []string{"host1.example.com"}},
			nil, []string{"a CNAME at the zone apex"}},
		{"two CNAME targets", model.DNSRecordSet{Name: "x.ext.internal.", Type: "CNAME", Targets: []string{"a.example.com", "b.example.com"}},
			nil, []string{"2 targets, and a name has at most one CNAME"}},
		{"TXT", model.DNSRecordSet{Name: "ext.internal.", Type: "TXT", Targets: []string{"v=spf1 -all", `"quoted"`, `back\slash`}},
			[]string{"ext.internal.\t30\tIN\tTXT\t\"v=spf1 -all\"", "ext.internal.\t30\tIN\tTXT\t\"quoted\"", "ext.internal.\t30\tIN\tTXT\t\"back\\\\slash\""}, nil},
		{"TXT beyond ASCII", model.DNSRecordSet{Name: "u.ext.internal.", Type: "TXT", Targets: []string{"café;x"}},
			[]string{"u.ext.internal.\t30\tIN\tTXT\t\"caf\\195\\169;x\""}, nil},
		{"long TXT", model.DNSRecordSet{Name: "k.ext.internal.", Type: "TXT", Targets: []string{strings.Repeat("a", 300)}},
			[]string{"k.ext.internal.\t30\tIN\tTXT\t\"" + strings.Repeat("a", 255) + "\" \"" + strings.Repeat("a", 45) + "\""}, nil},
		{"SRV", model.DNSRecordSet{Name: "_sip._udp.ext.internal.", Type: "SRV", Targets: []string{"1 50 5060 sip1.ext.internal.", "1 50 5060 sip2.ext.internal", "10 5 x sip3.ext.internal.", "1 2 3"}},
			[]string{"_sip._udp.ext.internal.\t30\tIN\tSRV\t1 50 5060 sip1.ext.internal.", "_sip._udp.ext.internal.\t30\tIN\tSRV\t1 50 5060 sip2.ext.internal."},
			[]string{`target "10 5 x sip3.ext.internal.": port "x" is not a number`, `target "1 2 3": want PRIORITY WEIGHT PORT HOST`}},
		{"MX", model.DNSRecordSet{Name: "ext.internal.", Type: "MX", Targets: []string{"10 mail1.ext.internal", "mail2.ext.internal"}},
			[]string{"ext.internal.\t30\tIN\tMX\t10 mail1.ext.internal."}, []string{"want PREFERENCE HOST"}},
		{"null MX", model.DNSRecordSet{Name: "nomail.ext.internal.", Type: "MX", Targets: []string{"0 ."}},
			[]string{"nomail.ext.internal.\t30\tIN\tMX\t0 ."}, nil},
		{"SRV: no such service", model.DNSRecordSet{Name: "_ftp._tcp.ext.internal.", Type: "SRV", Targets: []string{"0 0 0 ."}},
			[]string{"_ftp._tcp.ext.internal.\t30\tIN\tSRV\t0 0 0 ."}, nil},
		{"NS delegation", model.DNSRecordSet{Name: "sub.ext.internal.", Type: "NS", Targets: []string{"ns1.example.com"}},
			[]string{"sub.ext.internal.\t30\tIN\tNS\tns1.example.com."}, nil},
		{"NS at the apex", model.DNSRecordSet{Name: "ext.internal.", Type: "NS", Targets: []string{"ns1.example.com"}},
			nil, []string{"the zone's own NS records"}},
		{"NS at a wildcard", model.DNSRecordSet{Name: "*.ext.internal.", Type: "NS", Targets: []string{"ns1.example.com"}},
			nil, []string{"NS at a wildcard"}},
		{"PTR for DNS-SD", model.DNSRecordSet{Name: "_http._tcp.ext.internal.", Type: "PTR", Targets: []string{"web._http._tcp.ext.internal."}},
			[]string{"_http._tcp.ext.internal.\t30\tIN\tPTR\tweb._http._tcp.ext.internal."}, nil},
		{"wildcard", model.DNSRecordSet{Name: "*.apps.ext.internal.", Type: "A", Targets: []string{"10.1.0.9"}},
			[]string{"*.apps.ext.internal.\t30\tIN\tA\t10.1.0.9"}, nil},
		{"another zone's name", model.DNSRecordSet{Name: "db.example.com.", Type: "A", Targets: []string{"bad"}}, nil, nil},
		{"an invalid name", model.DNSRecordSet{Name: "bad name.ext.internal.", Type: "A", Targets: []string{"10.1.0.5"}},
			nil, []string{`dnsName "bad name.ext.internal." is not a valid DNS name`}},
		{"no targets", model.DNSRecordSet{Name: "db.ext.internal.", Type: "A"}, nil, []string{"no targets"}},
		{"unsupported type", model.DNSRecordSet{Name: "db.ext.internal.", Type: "NAPTR", Targets: []string{"x"}},
			nil, []string{`record type "NAPTR" is not served`}},
		{"recordTTL out of range", model.DNSRecordSet{Name: "db.ext.internal.", Type: "A", TTL: -5, Targets: []string{"10.1.0.5"}},
			[]string{"db.ext.internal.\t30\tIN\tA\t10.1.0.5"}, []string{"recordTTL -5 is not from 1 to 2147483647"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rrs, bad := dnsRecordSet(src, tc.set)
			var got []string
			for _, rr := range rrs {
				got = append(got, rr.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(bad) != len(tc.bad) {
				t.Fatalf("problems %q, want %d like %q", bad, len(tc.bad), tc.bad)
			}
			for i, b := range bad {
				if !strings.Contains(b, tc.bad[i]) {
					t.Errorf("problem %q, want it to say %q", b, tc.bad[i])
				}
			}
			// What is emitted must build: one bad record would take every object's
			// records out of the zone.
			if _, err := zone.New(src.Zone, rrs, zone.Options{}); err != nil {
				t.Errorf("the records do not build a zone: %v", err)
			}
		})
	}
}

// zoneLogs collects a zone's log lines.
type zoneLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l *zoneLogs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *zoneLogs) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

// dnsEndpointZone serves internalFile with dnsendpoints from store, synced.
func dnsEndpointZone(t *testing.T, st *model.Store, cfg *Config, l *zoneLogs) *Zone {
	t.Helper()
	st.SetSynced()
	st.SetKindSynced(model.KindDNSEndpoint)
	z := New(cfg, l.logf)
	if err := z.Start(st, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	return z
}

func TestDNSEndpointZone(t *testing.T) {
	st := model.NewStore()
	st.UpsertDNSEndpoint(dnsEndpoint("db", "postgres",
		model.DNSRecordSet{Name: "pg.example.internal.", Type: "A", Targets: []string{"10.1.0.5"}, TTL: 120},
		model.DNSRecordSet{Name: "pg-replica.example.internal.", Type: "A", Targets: []string{"10.1.0.6"}},
		model.DNSRecordSet{Name: "_postgresql._tcp.example.internal.", Type: "SRV", Targets: []string{"0 10 5432 pg.example.internal.", "0 10 5432 [pg-replica]"}},
		model.DNSRecordSet{Name: "example.internal.", Type: "CNAME", Targets: []string{"elsewhere.example.com."}},
	))
	st.UpsertDNSEndpoint(dnsEndpoint("legacy", "hosts",
		model.DNSRecordSet{Name: "mainframe.example.internal.", Type: "CNAME", Targets: []string{"mf01.corp.example.com."}},
		model.DNSRecordSet{Name: "corp.example.internal.", Type: "MX", Targets: []string{"10 mail.corp.example.com"}},
		model.DNSRecordSet{Name: "corp.example.internal.", Type: "TXT", Targets: []string{"v=spf1 -all"}},
		model.DNSRecordSet{Name: "example.internal.", Type: "TXT", Targets: []string{"the file holds the apex"}},
		model.DNSRecordSet{Name: "branch.example.internal.", Type: "NS", Targets: []string{"ns.branch.example.com."}},
		model.DNSRecordSet{Name: "web.example.internal.", Type: "A", Targets: []string{"10.9.9.9"}}, // the file's name
		model.DNSRecordSet{Name: "pg.other.internal.", Type: "A", Targets: []string{"10.9.9.8"}},    // not this zone's
	))
	st.UpsertDNSEndpoint(dnsEndpoint("tenant", "not-allowed",
		model.DNSRecordSet{Name: "evil.example.internal.", Type: "A", Targets: []string{"10.6.6.6"}},
	))
	var l zoneLogs
	path := filepath.Join(t.TempDir(), "db.example.internal")
	if err := os.WriteFile(path, []byte(internalFile), 0o644); err != nil {
		t.Fatal(err)
	}
	z := dnsEndpointZone(t, st, &Config{File: path, Sources: Sources{Zone: "example.internal.", TTL: 30, DNSEndpoints: true,
		Namespaces: model.Namespaces{"db": true, "legacy": true}}}, &l)
	soa := zoneSOA(z)
	for _, tc := range []test.Case{
		// each entry's targets at its own name only
		{Qname: "pg.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("pg.example.internal.	120	IN	A	10.1.0.5")}},
		{Qname: "pg-replica.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("pg-replica.example.internal.	30	IN	A	10.1.0.6")}},
		// the bad SRV target is skipped, the good one served
		{Qname: "_postgresql._tcp.example.internal.", Qtype: dns.TypeSRV, Answer: []dns.RR{test.SRV("_postgresql._tcp.example.internal.	30	IN	SRV	0 10 5432 pg.example.internal.")}},
		{Qname: "mainframe.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.CNAME("mainframe.example.internal.	30	IN	CNAME	mf01.corp.example.com.")}},
		// the apex CNAME is skipped: the apex keeps its SOA; the file holds the apex
		{Qname: "example.internal.", Qtype: dns.TypeSOA, Answer: []dns.RR{soa}},
		{Qname: "example.internal.", Qtype: dns.TypeTXT, Ns: []dns.RR{soa}},
		{Qname: "corp.example.internal.", Qtype: dns.TypeMX, Answer: []dns.RR{test.MX("corp.example.internal.	30	IN	MX	10 mail.corp.example.com.")}},
		{Qname: "corp.example.internal.", Qtype: dns.TypeTXT, Answer: []dns.RR{test.TXT(`corp.example.internal.	30	IN	TXT	"v=spf1 -all"`)}},
		// NS below the apex is a delegation
		{Qname: "host.branch.example.internal.", Qtype: dns.TypeA, Ns: []dns.RR{test.NS("branch.example.internal.	30	IN	NS	ns.branch.example.com.")}},
		// the zone file's names are the file's
		{Qname: "web.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("web.example.internal.	30	IN	A	10.0.0.80")}},
		// a namespace the zone does not read
		{Qname: "evil.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{soa}},
	} {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			_, m := serve(t, z, tc)
			if err := test.SortAndCheck(m, tc); err != nil {
				t.Error(err)
			}
		})
	}
	for _, want := range []string{`DNSEndpoint db/postgres: _postgresql._tcp.example.internal. SRV target "0 10 5432 [pg-replica]"`, "DNSEndpoint db/postgres: example.internal. CNAME: a CNAME at the zone apex", "web.example.internal. is in the zone file"} {
		if n := l.count(want); n != 1 {
			t.Errorf("%q logged %d times, want once; log:\n%s", want, n, strings.Join(l.lines, "\n"))
		}
	}

	// A change rebuilds the zone; the problems still there are not logged again.
	st.UpsertDNSEndpoint(dnsEndpoint("db", "postgres",
		model.DNSRecordSet{Name: "pg.example.internal.", Type: "A", Targets: []string{"10.1.0.7"}},
		model.DNSRecordSet{Name: "example.internal.", Type: "CNAME", Targets: []string{"elsewhere.example.com."}},
	))
	waitZoneAnswer(t, z, test.Case{Qname: "pg.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("pg.example.internal.	30	IN	A	10.1.0.7")}})
	if n := l.count("a CNAME at the zone apex"); n != 1 {
		t.Errorf("the apex CNAME logged %d times, want once", n)
	}
	// After a delete, the names go once the zone provably rebuilt: a sentinel created
	// after the delete is served.
	st.DeleteDNSEndpoint(model.Key{Namespace: "db", Name: "postgres"})
	st.UpsertDNSEndpoint(dnsEndpoint("db", "sentinel", model.DNSRecordSet{Name: "sentinel.example.internal.", Type: "A", Targets: []string{"10.1.0.1"}}))
	waitZoneAnswer(t, z, test.Case{Qname: "sentinel.example.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("sentinel.example.internal.	30	IN	A	10.1.0.1")}})
	checkZoneAnswer(t, z, test.Case{Qname: "pg.example.internal.", Qtype: dns.TypeA, Rcode: dns.RcodeNameError, Ns: []dns.RR{zoneSOA(z)}})
}

// A reverse zone with dnsendpoints serves DNSEndpoint PTRs, besides the PTRs of its
// forward zones' addresses (DNSEndpoint A records among them), which they replace.
func TestDNSEndpointReverse(t *testing.T) {
	st := model.NewStore()
	st.UpsertDNSEndpoint(dnsEndpoint("db", "postgres",
		model.DNSRecordSet{Name: "pg.example.internal.", Type: "A", Targets: []string{"10.1.0.5"}},
		model.DNSRecordSet{Name: "9.0.1.10.in-addr.arpa.", Type: "PTR", Targets: []string{"printer.corp.example.com"}},
		model.DNSRecordSet{Name: "www.example.internal.", Type: "A", Targets: []string{"10.1.0.80"}},
		model.DNSRecordSet{Name: "80.0.1.10.in-addr.arpa.", Type: "PTR", Targets: []string{"web01.example.internal"}},
	))
	fwd := &Sources{Zone: "example.internal.", TTL: 30, DNSEndpoints: true}
	var l zoneLogs
	z := dnsEndpointZone(t, st, &Config{Sources: Sources{Zone: "10.in-addr.arpa.", TTL: 30, DNSEndpoints: true}, Forward: []*Sources{fwd}}, &l)
	for _, tc := range []test.Case{
		{Qname: "5.0.1.10.in-addr.arpa.", Qtype: dns.TypePTR, Answer: []dns.RR{test.PTR("5.0.1.10.in-addr.arpa.	30	IN	PTR	pg.example.internal.")}},
		{Qname: "9.0.1.10.in-addr.arpa.", Qtype: dns.TypePTR, Answer: []dns.RR{test.PTR("9.0.1.10.in-addr.arpa.	30	IN	PTR	printer.corp.example.com.")}},
		// an explicit PTR replaces the one derived from www's address
		{Qname: "80.0.1.10.in-addr.arpa.", Qtype: dns.TypePTR, Answer: []dns.RR{test.PTR("80.0.1.10.in-addr.arpa.	30	IN	PTR	web01.example.internal.")}},
	} {
		checkZoneAnswer(t, z, tc)
	}
	// explain tells the DNSEndpoint's own PTR from one derived from a forward zone
	for name, want := range map[string]string{
		"9.0.1.10.in-addr.arpa.": "DNSEndpoint db/postgres",
		"5.0.1.10.in-addr.arpa.": "the address records of pg.example.internal. in a forward private zone",
	} {
		if a := z.Explain(name, dns.TypePTR); len(a.Records) != 1 || a.Records[0].Source != want {
			t.Errorf("explain %s: %+v, want one record from %s", name, a.Records, want)
		}
	}
}

// waitZoneAnswer waits until z answers tc as expected: a zone rebuilds on its own goroutine.
func waitZoneAnswer(t *testing.T, z *Zone, tc test.Case) {
	t.Helper()
	var err error
	eventually(t, tc.Qname+" "+dns.TypeToString[tc.Qtype], func() bool {
		_, m := serve(t, z, tc)
		err = test.SortAndCheck(m, tc)
		return err == nil
	})
}

// checkZoneAnswer checks at once how z answers tc.
func checkZoneAnswer(t *testing.T, z *Zone, tc test.Case) {
	t.Helper()
	_, m := serve(t, z, tc)
	if err := test.SortAndCheck(m, tc); err != nil {
		t.Errorf("%s %s: %v", tc.Qname, dns.TypeToString[tc.Qtype], err)
	}
}

func TestParseDNSEndpoints(t *testing.T) {
	for _, tc := range []struct {
		input   string
		wantErr string
	}{
		{input: "private ext.internal {\n dnsendpoints\n}"},
		{input: "private 10.in-addr.arpa {\n dnsendpoints\n}"}, // DNSEndpoint PTRs
		{input: "private ext.internal {\n dnsendpoints all\n}", wantErr: "Wrong argument count"},
	} {
		p, ok := parseCase(t, tc.input, tc.wantErr)
		switch {
		case !ok:
		case !p.DNSEndpoints || !p.ReadsCluster() || !slices.Contains(p.Kinds(), model.KindDNSEndpoint):
			t.Errorf("%q: %+v: want DNSEndpoints read", tc.input, p)
		}
	}
}
