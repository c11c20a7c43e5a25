package zone_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"
	"github.com/clusterdns/clusterdns/test/bindtest"

	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"
)

// bindZones are loaded into named and into zone for TestBIND. No zone is below another,
// and no CNAME or NS target is in another: named would follow it there, a Zone cannot.
var bindZones = []bindtest.Zone{
	{Origin: "mesh.private.", File: "../../../zones/db.mesh.private"},
	{Origin: "mycompany.internal.", File: "../../../zones/db.mycompany.internal"},
	{Origin: "diff.example.", File: "testdata/db.diff.example"},
}

// bindNames are asked besides the names queryNames derives from each zone.
var bindNames = []string{"ADS.Mesh.PRIVATE.", "a.b.mesh.private.", "*.b.mesh.private.", "Shop.APPS.mycompany.internal."}

// bindTypes are asked for every name.
var bindTypes = []uint16{
	dns.TypeA, dns.TypeAAAA, dns.TypeTXT, dns.TypeMX, dns.TypeSRV, dns.TypeCNAME,
	dns.TypeNS, dns.TypeSOA, dns.TypeANY, dns.TypePTR, dns.TypeDS,
}

// bindMetaTypes are asked at each apex: types that are not answered from zone data.
var bindMetaTypes = []uint16{dns.TypeAXFR, dns.TypeIXFR, dns.TypeMAILA, dns.TypeMAILB, dns.TypeOPT, 128}

// TestBIND is the differential test: named (BIND 9.18 with minimal-responses yes, the
// reference) and zone load the same files and must give identical replies to every query:
// rcode, AA flag, and each section as a set of records, owner spelling and TTLs included.
// The questions are every name of the zones and every name above them in the zone (empty
// non-terminals), a name that does not exist below each, wildcards asked literally, each
// also spelled in mixed case, and the bindNames in the zone, times bindTypes; and each
// zone's transfer against Records.
func TestBIND(t *testing.T) {
	s := bindtest.StartConfig(t, bindtest.Config{MinimalResponses: true}, bindZones...)
	queries := 0
	for _, bz := range bindZones {
		z := loadZone(t, bz)
		compareTransfer(t, s, z)
		names := queryNames(z)
		for _, name := range bindNames {
			if dns.IsSubDomain(z.Origin(), strings.ToLower(name)) {
				names = append(names, name)
			}
		}
		for _, name := range names {
			for _, qtype := range bindTypes {
				compareQuery(t, s, z, name, qtype)
				queries++
			}
		}
		for _, qtype := range bindMetaTypes {
			compareQuery(t, s, z, z.Origin(), qtype)
			queries++
		}
		// Names of no zone named serves.
		for _, name := range []string{"private.", "example.com.", "x.internal."} {
			compareQuery(t, s, z, name, dns.TypeA)
			queries++
		}
	}
	t.Logf("%d queries to named and zone", queries)
}

func loadZone(t *testing.T, bz bindtest.Zone) *zone.Zone {
	t.Helper()
	f, err := os.Open(bz.File)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rrs, err := zone.Parse(f, bz.Origin, bz.File)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zone.New(bz.Origin, rrs, zone.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// queryNames returns the names asked about z.
func queryNames(z *zone.Zone) []string {
	seen := map[string]bool{}
	var names []string
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name, mixedCase(name))
		}
	}
	for _, rr := range z.Records() {
		name := strings.ToLower(rr.Header().Name)
		for {
			add(name)
			add("nx." + name)
			if name == z.Origin() {
				break
			}
			next, _ := dns.NextLabel(name, 0)
			name = name[next:]
		}
	}
	add("*." + z.Origin())
	add("*.nx." + z.Origin())
	add("a.b.c.nx." + z.Origin())
	return names
}

// mixedCase spells every other letter of name in upper case.
func mixedCase(name string) string {
	b := []byte(name)
	upper := false
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			if upper {
				b[i] = c - ('a' - 'A')
			}
			upper = !upper
		}
	}
	return string(b)
}

func compareQuery(t *testing.T, s *bindtest.Server, z *zone.Zone, name string, qtype uint16) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.RecursionDesired = false
	// Transfer types over UDP, as Lookup answers them; TCP when the answer is truncated.
	r, err := s.Exchange(m, false)
	if err == nil && r.Truncated {
		r, err = s.Exchange(m, true)
	}
	if err != nil {
		t.Fatalf("%s %s: %v", name, dns.Type(qtype), err)
	}
	want := test.Case{Rcode: r.Rcode, Authoritative: r.Authoritative, Answer: r.Answer, Ns: r.Ns, Extra: r.Extra}
	if diff := compare(z.Lookup(name, qtype), want); diff != "" {
		t.Errorf("%s %s: zone differs from named:\n%s", name, dns.Type(qtype), diff)
	}
}

// compareTransfer compares named's AXFR with Records. BIND compresses names in transfers
// without regard to case, so the spelling of names is not compared.
func compareTransfer(t *testing.T, s *bindtest.Server, z *zone.Zone) {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr(z.Origin())
	envelopes, err := new(dns.Transfer).In(m, s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var axfr []dns.RR
	for e := range envelopes {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		axfr = append(axfr, e.RR...)
	}
	got, want := lowerStrings(z.Records()), lowerStrings(axfr[:len(axfr)-1]) // without the closing SOA
	if !slices.Equal(got, want) {
		t.Errorf("%s: Records differ from named's AXFR:\n\t%s\nwant:\n\t%s", z.Origin(), strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func lowerStrings(rrs []dns.RR) []string {
	s := rrStrings(rrs)
	for i := range s {
		s[i] = strings.ToLower(s[i])
	}
	slices.Sort(s)
	return s
}
