package zone_test

import (
	"net"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

func TestNewErrors(t *testing.T) {
	soa := rr("example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 30")
	tests := []struct {
		name string
		rrs  []dns.RR
		want string
	}{
		{"nil", []dns.RR{nil}, "nil record"},
		{"typed nil", []dns.RR{(*dns.A)(nil)}, "nil record"},
		{"out of zone", []dns.RR{rr("www.example.com. 60 IN A 10.0.0.1")}, "www.example.com. A: out of zone example.test."},
		{"suffix is not a parent", []dns.RR{rr("myexample.test. 60 IN A 10.0.0.1")}, "myexample.test. A: out of zone example.test."},
		{"not fully qualified", []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www", Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(10, 0, 0, 1)}},
			"www A: invalid record: dns: domain must be fully qualified"},
		{"class", []dns.RR{rr("www.example.test. 60 CH TXT chaos")}, "www.example.test. TXT: class CH in an IN zone"},
		{"no data", []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: "www.example.test.", Rrtype: dns.TypeA, Class: dns.ClassINET}}}, "www.example.test. A: no data"},
		{"CNAME after data", []dns.RR{rr("www.example.test. 60 IN A 10.0.0.1"), rr("WWW.example.test. 60 IN CNAME web.example.test.")},
			"WWW.example.test. CNAME: CNAME and other data"},
		{"data after CNAME", []dns.RR{rr("www.example.test. 60 IN CNAME web.example.test."), rr("www.example.test. 60 IN TXT x")},
			"www.example.test. TXT: CNAME and other data"},
		{"two CNAMEs", []dns.RR{rr("www.example.test. 60 IN CNAME a.example.test."), rr("www.example.test. 60 IN CNAME b.example.test.")},
			"www.example.test. CNAME: more than one CNAME record"},
		{"CNAME at the apex", []dns.RR{rr("example.test. 60 IN CNAME example.com.")}, "example.test. CNAME: CNAME at the zone apex"},
		{"two SOAs", []dns.RR{soa, rr("example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 2 7200 1800 86400 30")},
			"example.test. SOA: more than one SOA record"},
		{"SOA below the apex", []dns.RR{rr("sub.example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 1 7200 1800 86400 30")},
			"sub.example.test. SOA: SOA below the zone apex"},
		{"NS at a wildcard", []dns.RR{rr("*.example.test. 60 IN NS ns.example.com.")}, "*.example.test. NS: NS at a wildcard"},
		{"DNAME", []dns.RR{rr("old.example.test. 60 IN DNAME new.example.test.")}, "old.example.test. DNAME: DNAME is not supported"},
		{"RRSIG", []dns.RR{rr("www.example.test. 60 IN RRSIG A 8 3 60 20300101000000 20200101000000 1 example.test. AAAA")},
			"www.example.test. RRSIG: DNSSEC records are not supported: zones are served unsigned"},
		{"meta type", []dns.RR{&dns.OPT{Hdr: dns.RR_Header{Name: "www.example.test.", Rrtype: dns.TypeOPT, Class: dns.ClassINET}, Option: []dns.EDNS0{&dns.EDNS0_NSID{Code: dns.EDNS0NSID, Nsid: "00"}}}},
			"www.example.test. OPT: meta type, not zone data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zone.New("example.test.", tc.rrs, zone.Options{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %s", err, tc.want)
			}
		})
	}
	if _, err := zone.New("bad..name", nil, zone.Options{}); err == nil {
		t.Error("an invalid origin was accepted")
	}
	if _, err := zone.New("*.example.test.", []dns.RR{rr("*.example.test. 60 IN A 10.0.0.1")}, zone.Options{}); err != nil {
		t.Errorf("a zone named like a wildcard: %v", err)
	}
}

func TestNewSynthesizes(t *testing.T) {
	z, err := zone.New("Private.Test", []dns.RR{rr("www.private.test. 60 IN A 10.0.0.1")}, zone.Options{Serial: 42})
	if err != nil {
		t.Fatal(err)
	}
	if z.Origin() != "private.test." || z.Serial() != 42 {
		t.Errorf("origin %q serial %d", z.Origin(), z.Serial())
	}
	tests := []test.Case{
		{Qname: "private.test.", Qtype: dns.TypeSOA, Authoritative: true,
			Answer: []dns.RR{rr("Private.Test. 30 IN SOA ns.dns.Private.Test. hostmaster.Private.Test. 42 7200 1800 86400 30")}},
		{Qname: "private.test.", Qtype: dns.TypeNS, Authoritative: true,
			Answer: []dns.RR{rr("Private.Test. 30 IN NS ns.dns.Private.Test.")}},
		{Qname: "ns.dns.private.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr("Private.Test. 30 IN SOA ns.dns.Private.Test. hostmaster.Private.Test. 42 7200 1800 86400 30")}},
	}
	for _, tc := range tests {
		if err := compare(z.Lookup(tc.Qname, tc.Qtype), tc); err != "" {
			t.Errorf("%s %s: %s", tc.Qname, dns.Type(tc.Qtype), err)
		}
	}
	z, err = zone.New("private.test.", nil, zone.Options{TTL: 300})
	if err != nil {
		t.Fatal(err)
	}
	if got := z.Records(); len(got) != 2 || got[0].Header().Ttl != 300 || got[0].(*dns.SOA).Minttl != 300 || got[1].Header().Ttl != 300 {
		t.Errorf("records with TTL 300: %v", got)
	}
}

// TestNewRRsets checks BIND's loader rules for RRsets whose records disagree.
func TestNewRRsets(t *testing.T) {
	z := mustZone(t, "example.test.", `$TTL 300
@ SOA ns hostmaster 1 7200 1800 86400 60
@ NS ns
ns A 10.0.0.53
consecutive 100 A 10.0.0.1
consecutive 50 A 10.0.0.2
apart 100 A 10.0.0.1
ns A 10.0.0.53
apart 50 A 10.0.0.2
case A 10.0.0.1
CASE 50 A 10.0.0.2
dup A 10.0.0.1
dup 20 A 10.0.0.1
`)
	tests := []test.Case{
		// Within a run, the first TTL.
		{Qname: "consecutive.example.test.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
			rr("consecutive.example.test. 100 IN A 10.0.0.1"), rr("consecutive.example.test. 100 IN A 10.0.0.2")}},
		// A later run replaces it.
		{Qname: "apart.example.test.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
			rr("apart.example.test. 50 IN A 10.0.0.1"), rr("apart.example.test. 50 IN A 10.0.0.2")}},
		// A new spelling is a new run; the RRset keeps its first spelling.
		{Qname: "CaSe.example.test.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
			rr("case.example.test. 50 IN A 10.0.0.1"), rr("case.example.test. 50 IN A 10.0.0.2")}},
		{Qname: "dup.example.test.", Qtype: dns.TypeA, Authoritative: true, Answer: []dns.RR{
			rr("dup.example.test. 300 IN A 10.0.0.1")}},
	}
	for _, tc := range tests {
		if err := compare(z.Lookup(tc.Qname, tc.Qtype), tc); err != "" {
			t.Errorf("%s: %s", tc.Qname, err)
		}
	}
}

func TestNewCopies(t *testing.T) {
	rrs := []dns.RR{rr("www.example.test. 100 IN A 10.0.0.1"), rr("WWW.example.test. 50 IN A 10.0.0.2")}
	before := rrStrings(rrs)
	if _, err := zone.New("example.test.", rrs, zone.Options{}); err != nil {
		t.Fatal(err)
	}
	if after := rrStrings(rrs); strings.Join(after, "\n") != strings.Join(before, "\n") || rrs[0].Header().Rdlength != 0 {
		t.Errorf("New changed its input: %v", after)
	}
}

func TestRecords(t *testing.T) {
	z := mustZone(t, "example.test.", `$TTL 300
b A 10.0.0.2
a.b TXT "a"
@ NS ns
*.b TXT "wild"
@ SOA ns hostmaster 1 7200 1800 86400 60
Z TXT "z"
sub NS ns.sub
ns.sub A 10.0.0.5
B TXT "b"
`)
	want := []string{
		"example.test.\t300\tIN\tSOA\tns.example.test. hostmaster.example.test. 1 7200 1800 86400 60",
		"example.test.\t300\tIN\tNS\tns.example.test.",
		"b.example.test.\t300\tIN\tA\t10.0.0.2",
		"B.example.test.\t300\tIN\tTXT\t\"b\"", // the TXT RRset's own spelling
		"*.b.example.test.\t300\tIN\tTXT\t\"wild\"",
		"a.b.example.test.\t300\tIN\tTXT\t\"a\"",
		"sub.example.test.\t300\tIN\tNS\tns.sub.example.test.",
		"ns.sub.example.test.\t300\tIN\tA\t10.0.0.5",
		"Z.example.test.\t300\tIN\tTXT\t\"z\"",
	}
	got := z.Records()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d: %v", len(got), len(want), got)
	}
	for i, rr := range got {
		if rr.String() != want[i] {
			t.Errorf("record %d: got %q, want %q", i, rr.String(), want[i])
		}
	}
}

// FuzzZone checks that no zone file and no query make the package panic.
func FuzzZone(f *testing.F) {
	f.Add(exampleZone, "foo.wild.example.test.", uint16(dns.TypeA))
	f.Add(exampleZone, "loop1.example.test.", uint16(dns.TypeANY))
	f.Add("@ 60 SOA ns hm 1 2 3 4 5\n*.A 60 TXT x\n", `\065.a.example.test.`, uint16(dns.TypeTXT))
	f.Add("x 60 CNAME y\ny 60 CNAME x.\n", "x.example.test.", uint16(dns.TypeNS))
	f.Fuzz(func(t *testing.T, text, qname string, qtype uint16) {
		rrs, err := zone.Parse(strings.NewReader(text), "example.test.", "fuzz")
		if err != nil {
			return
		}
		z, err := zone.New("example.test.", rrs, zone.Options{})
		if err != nil {
			t.Fatalf("Parse accepted what New refuses: %v", err)
		}
		z.Lookup(qname, qtype)
		z.Records()
	})
}
