package zone_test

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// exampleZone exercises every rule of Lookup; the expected answers below are BIND 9.18's.
const exampleZone = `$ORIGIN example.test.
$TTL 300
@         3600 SOA ns hostmaster 7 7200 1800 86400 60
@         NS   ns
@         NS   ns.wild
@         NS   ns.sub
@         NS   ns.external.
ns        A    10.0.0.53
ns        AAAA ::53
Mixed     A    10.0.0.2
mixed     AAAA ::2
*.wild    A    10.1.1.1
*.wild    TXT  "wild"
explicit.wild TXT "explicit"
*.WiLd2   A    10.1.1.2
a.b.ent   A    10.2.2.2
*.ent     A    10.3.3.3
cname     CNAME Target
Target    A    10.4.4.4
ext       CNAME www.example.com.
c1        CNAME c2
c2        CNAME c3
c3        CNAME nothere
c4        CNAME ent
loop1     CNAME loop2
loop2     CNAME loop1
*.cw      CNAME Target
to-sub    CNAME x.sub
sub       NS   ns.sub
sub       NS   ns.external.
sub       NS   ns
sub       DS   1 8 2 0000000000000000000000000000000000000000000000000000000000000000
ns.sub    A    10.5.5.5
other     NS   ns.sub
mx        MX   10 mail
srv       SRV  0 0 80 Target
`

func TestLookup(t *testing.T) {
	z := mustZone(t, "example.test.", exampleZone)
	soa := "example.test. 60 IN SOA ns.example.test. hostmaster.example.test. 7 7200 1800 86400 60"
	delegation := []dns.RR{
		rr("sub.example.test. 300 IN NS ns.sub.example.test."),
		rr("sub.example.test. 300 IN NS ns.external."),
		rr("sub.example.test. 300 IN NS ns.example.test."),
	}
	tests := []test.Case{
		// Exact names: owners keep the zone's spelling, per RRset.
		{Qname: "MIXED.example.TEST.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("Mixed.example.test. 300 IN A 10.0.0.2")}},
		{Qname: "MIXED.example.TEST.", Qtype: dns.TypeAAAA, Authoritative: true,
			Answer: []dns.RR{rr("mixed.example.test. 300 IN AAAA ::2")}},
		{Qname: "mixed.example.test.", Qtype: dns.TypeTXT, Authoritative: true,
			Ns: []dns.RR{rr(soa)}},
		{Qname: "nothere.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr(soa)}},
		{Qname: "x.mixed.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr(soa)}},
		// The apex.
		{Qname: "Example.Test.", Qtype: dns.TypeSOA, Authoritative: true,
			Answer: []dns.RR{rr("example.test. 3600 IN SOA ns.example.test. hostmaster.example.test. 7 7200 1800 86400 60")}},
		{Qname: "example.test.", Qtype: dns.TypeNS, Authoritative: true,
			Answer: []dns.RR{
				rr("example.test. 300 IN NS ns.example.test."),
				rr("example.test. 300 IN NS ns.wild.example.test."),
				rr("example.test. 300 IN NS ns.sub.example.test."),
				rr("example.test. 300 IN NS ns.external."),
			},
			// Addresses the zone answers, a wildcard's too; glue below sub is not one.
			Extra: []dns.RR{
				rr("ns.example.test. 300 IN A 10.0.0.53"),
				rr("ns.example.test. 300 IN AAAA ::53"),
				rr("ns.wild.example.test. 300 IN A 10.1.1.1"),
			}},
		{Qname: "example.test.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "example.test.", Qtype: dns.TypeDS, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		// Wildcards: the owner is the query name in the wildcard's spelling.
		{Qname: "Foo.WILD.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("foo.wild.example.test. 300 IN A 10.1.1.1")}},
		{Qname: "abc.wild2.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("abC.Wild2.example.test. 300 IN A 10.1.1.2")}},
		{Qname: "a.b.wild.example.test.", Qtype: dns.TypeANY, Authoritative: true,
			Answer: []dns.RR{
				rr("a.b.wild.example.test. 300 IN A 10.1.1.1"),
				rr(`a.b.wild.example.test. 300 IN TXT "wild"`),
			}},
		{Qname: "foo.wild.example.test.", Qtype: dns.TypeMX, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "*.wild.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("*.wild.example.test. 300 IN A 10.1.1.1")}},
		{Qname: "*.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr(soa)}},
		// A name that exists is never a wildcard's, nor are names below it.
		{Qname: "explicit.wild.example.test.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "x.explicit.wild.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr(soa)}},
		// Empty non-terminals exist, and block the wildcard above them.
		{Qname: "b.ent.example.test.", Qtype: dns.TypeA, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "b.ent.example.test.", Qtype: dns.TypeANY, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "x.b.ent.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Ns: []dns.RR{rr(soa)}},
		{Qname: "z.ent.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("z.ent.example.test. 300 IN A 10.3.3.3")}},
		// CNAMEs are followed in the zone; the last name sets the rcode.
		{Qname: "CNAME.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{
				rr("cname.example.test. 300 IN CNAME Target.example.test."),
				rr("Target.example.test. 300 IN A 10.4.4.4"),
			}},
		{Qname: "cname.example.test.", Qtype: dns.TypeTXT, Authoritative: true,
			Answer: []dns.RR{rr("cname.example.test. 300 IN CNAME Target.example.test.")},
			Ns:     []dns.RR{rr(soa)}},
		{Qname: "cname.example.test.", Qtype: dns.TypeCNAME, Authoritative: true,
			Answer: []dns.RR{rr("cname.example.test. 300 IN CNAME Target.example.test.")}},
		{Qname: "cname.example.test.", Qtype: dns.TypeANY, Authoritative: true,
			Answer: []dns.RR{rr("cname.example.test. 300 IN CNAME Target.example.test.")}},
		{Qname: "ext.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("ext.example.test. 300 IN CNAME www.example.com.")}},
		{Qname: "c1.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeNameError,
			Answer: []dns.RR{
				rr("c1.example.test. 300 IN CNAME c2.example.test."),
				rr("c2.example.test. 300 IN CNAME c3.example.test."),
				rr("c3.example.test. 300 IN CNAME nothere.example.test."),
			},
			Ns: []dns.RR{rr(soa)}},
		{Qname: "c4.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("c4.example.test. 300 IN CNAME ent.example.test.")},
			Ns:     []dns.RR{rr(soa)}},
		{Qname: "loop1.example.test.", Qtype: dns.TypeA, Authoritative: true, Rcode: dns.RcodeServerFailure,
			Answer: []dns.RR{
				rr("loop1.example.test. 300 IN CNAME loop2.example.test."),
				rr("loop2.example.test. 300 IN CNAME loop1.example.test."),
			}},
		{Qname: "x.CW.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{
				rr("x.cw.example.test. 300 IN CNAME Target.example.test."),
				rr("Target.example.test. 300 IN A 10.4.4.4"),
			}},
		// Delegations: referrals without AA, glue from below delegations only.
		{Qname: "sub.example.test.", Qtype: dns.TypeA, Ns: delegation,
			Extra: []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		{Qname: "a.b.sub.example.test.", Qtype: dns.TypeANY, Ns: delegation,
			Extra: []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		{Qname: "sub.example.test.", Qtype: dns.TypeNS, Ns: delegation,
			Extra: []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		{Qname: "ns.sub.example.test.", Qtype: dns.TypeA, Ns: delegation,
			Extra: []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		{Qname: "sub.example.test.", Qtype: dns.TypeDS, Authoritative: true,
			Answer: []dns.RR{rr("sub.example.test. 300 IN DS 1 8 2 0000000000000000000000000000000000000000000000000000000000000000")}},
		{Qname: "other.example.test.", Qtype: dns.TypeDS, Authoritative: true, Ns: []dns.RR{rr(soa)}},
		{Qname: "other.example.test.", Qtype: dns.TypeA,
			Ns:    []dns.RR{rr("other.example.test. 300 IN NS ns.sub.example.test.")},
			Extra: []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		{Qname: "to-sub.example.test.", Qtype: dns.TypeA, Authoritative: true,
			Answer: []dns.RR{rr("to-sub.example.test. 300 IN CNAME x.sub.example.test.")},
			Ns:     delegation,
			Extra:  []dns.RR{rr("ns.sub.example.test. 300 IN A 10.5.5.5")}},
		// No additional section for MX and SRV with minimal-responses.
		{Qname: "mx.example.test.", Qtype: dns.TypeMX, Authoritative: true,
			Answer: []dns.RR{rr("mx.example.test. 300 IN MX 10 mail.example.test.")}},
		{Qname: "srv.example.test.", Qtype: dns.TypeSRV, Authoritative: true,
			Answer: []dns.RR{rr("srv.example.test. 300 IN SRV 0 0 80 Target.example.test.")}},
		// Not for this zone, or not a question for zone data.
		{Qname: "example.com.", Qtype: dns.TypeA, Rcode: dns.RcodeRefused},
		{Qname: "test.", Qtype: dns.TypeA, Rcode: dns.RcodeRefused},
		{Qname: "example.test.", Qtype: dns.TypeAXFR, Rcode: dns.RcodeFormatError},
		{Qname: "example.test.", Qtype: dns.TypeOPT, Rcode: dns.RcodeFormatError},
		{Qname: "example.test.", Qtype: dns.TypeMAILB, Rcode: dns.RcodeNotImplemented},
		{Qname: "a..example.test.", Qtype: dns.TypeA, Rcode: dns.RcodeFormatError},
	}
	for _, tc := range tests {
		t.Run(dns.Type(tc.Qtype).String()+" "+tc.Qname, func(t *testing.T) {
			if err := compare(z.Lookup(tc.Qname, tc.Qtype), tc); err != "" {
				t.Error(err)
			}
		})
	}
}

func TestLookupChainLimit(t *testing.T) {
	// BIND 9.18 follows 11 CNAMEs after the query name; a 12th answers SERVFAIL.
	var b strings.Builder
	b.WriteString("@ 300 SOA ns hostmaster 1 7200 1800 86400 60\n@ 300 NS ns\nns 300 A 10.0.0.53\n")
	for i := 1; i <= 12; i++ {
		b.WriteString("c" + strconv.Itoa(i) + " 300 CNAME c" + strconv.Itoa(i+1) + "\n")
	}
	b.WriteString("c13 300 A 10.9.9.9\n")
	z := mustZone(t, "chain.test.", b.String())
	if r := z.Lookup("c2.chain.test.", dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 12 {
		t.Errorf("11 CNAMEs: got %s with %d records, want NOERROR with 12", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
	if r := z.Lookup("c1.chain.test.", dns.TypeA); r.Rcode != dns.RcodeServerFailure || len(r.Answer) != 12 {
		t.Errorf("12 CNAMEs: got %s with %d records, want SERVFAIL with the 12 CNAMEs", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
}

func TestLookupSharesNothingMutable(t *testing.T) {
	z := mustZone(t, "example.test.", exampleZone)
	r := z.Lookup("sub.example.test.", dns.TypeA)
	r.Ns[0], r.Extra[0] = nil, nil // as the loadbalance plugin reorders answers in place
	if again := z.Lookup("sub.example.test.", dns.TypeA); again.Ns[0] == nil || again.Extra[0] == nil {
		t.Fatal("a Result's slices are the zone's")
	}
}

// TestLookupConcurrent is for the race detector: queries share the zone without locks.
func TestLookupConcurrent(t *testing.T) {
	z := mustZone(t, "example.test.", exampleZone)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, name := range []string{"foo.wild.example.test.", "loop1.example.test.", "sub.example.test.", "example.test."} {
				for _, qtype := range []uint16{dns.TypeA, dns.TypeNS, dns.TypeANY} {
					z.Lookup(name, qtype)
				}
			}
			z.Records()
		})
	}
	wg.Wait()
}

// compare returns how r differs from tc: rcode, AA and each section as a set of records
// in presentation format, owner spelling and TTL included.
func compare(r zone.Result, tc test.Case) string {
	var diff []string
	if r.Rcode != tc.Rcode {
		diff = append(diff, "rcode "+dns.RcodeToString[r.Rcode]+", want "+dns.RcodeToString[tc.Rcode])
	}
	if r.Authoritative != tc.Authoritative {
		diff = append(diff, "AA "+boolString(r.Authoritative)+", want "+boolString(tc.Authoritative))
	}
	for _, s := range []struct {
		name      string
		got, want []dns.RR
	}{{"answer", r.Answer, tc.Answer}, {"authority", r.Ns, tc.Ns}, {"additional", r.Extra, tc.Extra}} {
		got, want := rrStrings(s.got), rrStrings(s.want)
		if !slices.Equal(got, want) {
			diff = append(diff, s.name+":\n\t"+strings.Join(got, "\n\t")+"\nwant:\n\t"+strings.Join(want, "\n\t"))
		}
	}
	return strings.Join(diff, "\n")
}

func rrStrings(rrs []dns.RR) []string {
	s := make([]string, len(rrs))
	for i, rr := range rrs {
		s[i] = rr.String()
	}
	slices.Sort(s)
	return s
}

func boolString(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func mustZone(t testing.TB, origin, text string) *zone.Zone {
	t.Helper()
	rrs, err := zone.Parse(strings.NewReader(text), origin, "test")
	if err != nil {
		t.Fatal(err)
	}
	z, err := zone.New(origin, rrs, zone.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func rr(s string) dns.RR {
	r, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return r
}
