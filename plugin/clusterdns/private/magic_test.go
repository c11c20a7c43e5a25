package private

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/coredns/coredns/plugin/test"

	"github.com/miekg/dns"
)

// The examples of sslip.io's documentation, and its edge cases.
func TestMagicAddrs(t *testing.T) {
	for _, tc := range []struct{ prefix, v4, v6 string }{
		{"192.168.0.1", "192.168.0.1", ""},
		{"192-168-0-1", "192.168.0.1", ""},
		{"www.192.168.0.1", "192.168.0.1", ""},
		{"www.192-168-0-1", "192.168.0.1", ""},
		{"www-192-168-0-1", "192.168.0.1", ""},
		{"app.10-0-0-1", "10.0.0.1", ""},
		{"hello.default.10.0.0.1", "10.0.0.1", ""}, // Knative's default domain
		{"0a000001", "10.0.0.1", ""},
		{"app.7f000001", "127.0.0.1", ""},
		{"app-7f000001", "127.0.0.1", ""},
		{"--1", "", "::1"},
		{"2607-f8b0-400a-800--200e", "", "2607:f8b0:400a:800::200e"},
		{"2a01-4f8-c17-b8f--2", "", "2a01:4f8:c17:b8f::2"},
		{"www.2a01-4f8-c17-b8f--2", "", "2a01:4f8:c17:b8f::2"},
		{"www-2a01-4f8-c17-b8f--2", "", "2a01:4f8:c17:b8f::2"},
		// dashes win over dots, the leftmost over the rest
		{"1.2.3.4.5-6-7-8", "5.6.7.8", ""},
		{"1.2.3.4.5.6.7.8", "1.2.3.4", ""},
		{"1-2-3-4-5-6-7-8", "1.2.3.4", "1:2:3:4:5:6:7:8"},
		// an address is a whole run of the name
		{"11.2.3.4x", "", ""},
		{"a1.2.3.4", "", ""},
		{"10.0.0", "", ""},
		{"256.0.0.1", "", ""},
		{"01.0.0.1", "", ""}, // leading zeros are not octets
		{"10.0.0.1-", "10.0.0.1", ""},
		{"0a0000011", "", ""}, // nine hex digits
		{"0a00000g", "", ""},
		{"www--1", "", ""},
		{"www", "", ""},
		{"1", "", ""},
	} {
		v4, v6 := magicAddrs(tc.prefix)
		got4, got6 := "", ""
		if v4.IsValid() {
			got4 = v4.String()
		}
		if v6.IsValid() {
			got6 = v6.String()
		}
		if got4 != tc.v4 || got6 != tc.v6 {
			t.Errorf("%s: got %q %q, want %q %q", tc.prefix, got4, got6, tc.v4, tc.v6)
		}
	}
}

const magicFile = `$ORIGIN magic.internal.
$TTL 30
@ IN SOA ns hostmaster 5 7200 1800 86400 30
@ IN NS ns
ns IN A 10.0.0.53
10.0.0.1 IN A 10.9.9.9
alias IN CNAME app.10-1-2-3
`

func TestMagicServe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.magic.internal")
	if err := os.WriteFile(path, []byte(magicFile), 0o644); err != nil {
		t.Fatal(err)
	}
	z := New(&Config{Sources: Sources{Zone: "magic.internal.", TTL: 60}, File: path, Magic: true}, t.Logf)
	if err := z.Start(nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Stop)
	z.Fall = fall.Root
	z.Next = test.NextHandler(dns.RcodeRefused, nil)
	soa := test.SOA("magic.internal.	30	IN	SOA	ns.magic.internal. hostmaster.magic.internal. " + serialOf(z) + " 7200 1800 86400 30")
	for _, tc := range []test.Case{
		{Qname: "app.10-0-0-2.magic.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("app.10-0-0-2.magic.internal.	60	IN	A	10.0.0.2")}},
		{Qname: "10.0.0.2.magic.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("10.0.0.2.magic.internal.	60	IN	A	10.0.0.2")}},
		{Qname: "App.0A000002.Magic.Internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("App.0A000002.Magic.Internal.	60	IN	A	10.0.0.2")}},
		{Qname: "--1.magic.internal.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("--1.magic.internal.	60	IN	AAAA	::1")}},
		{Qname: "www.2001-db8--2.magic.internal.", Qtype: dns.TypeAAAA, Answer: []dns.RR{test.AAAA("www.2001-db8--2.magic.internal.	60	IN	AAAA	2001:db8::2")}},
		// the other family, or another type: NODATA
		{Qname: "app.10-0-0-2.magic.internal.", Qtype: dns.TypeAAAA, Ns: []dns.RR{soa}},
		{Qname: "--1.magic.internal.", Qtype: dns.TypeA, Ns: []dns.RR{soa}},
		{Qname: "app.10-0-0-2.magic.internal.", Qtype: dns.TypeMX, Ns: []dns.RR{soa}},
		{Qname: "app.10-0-0-2.magic.internal.", Qtype: dns.TypeSOA, Ns: []dns.RR{soa}},
		{Qname: "app.10-0-0-2.magic.internal.", Qtype: dns.TypeANY, Answer: []dns.RR{test.A("app.10-0-0-2.magic.internal.	60	IN	A	10.0.0.2")}},
		// the zone's own names win, and its CNAMEs lead to magic names
		{Qname: "10.0.0.1.magic.internal.", Qtype: dns.TypeA, Answer: []dns.RR{test.A("10.0.0.1.magic.internal.	30	IN	A	10.9.9.9")}},
		{Qname: "alias.magic.internal.", Qtype: dns.TypeA, Answer: []dns.RR{
			test.CNAME("alias.magic.internal.	30	IN	CNAME	app.10-1-2-3.magic.internal."),
			test.A("app.10-1-2-3.magic.internal.	60	IN	A	10.1.2.3"),
		}},
		// the names below the zone's own: an empty non-terminal is a name of the zone
		{Qname: "0.0.1.magic.internal.", Qtype: dns.TypeA, Ns: []dns.RR{soa}},
	} {
		t.Run(dns.TypeToString[tc.Qtype]+" "+tc.Qname, func(t *testing.T) {
			_, m := serve(t, z, tc)
			if m == nil || !m.Authoritative {
				t.Fatalf("reply %v: want an authoritative answer", m)
			}
			if err := test.SortAndCheck(m, tc); err != nil {
				t.Error(err)
			}
		})
	}
	// A name without an address stays NXDOMAIN, and so goes on through fallthrough.
	if rcode, m := serve(t, z, test.Case{Qname: "nope.magic.internal.", Qtype: dns.TypeA}); rcode != dns.RcodeRefused || m != nil {
		t.Errorf("nope.magic.internal.: rcode %d, reply %v: want it passed to the next plugin", rcode, m)
	}
}

func serialOf(z *Zone) string { return strconv.FormatUint(uint64(z.Current().Serial()), 10) }

func TestParseMagic(t *testing.T) {
	for _, tc := range []struct {
		input   string
		wantErr string
	}{
		{input: "private sslip.internal {\n magic\n}"},
		{input: "private sslip.internal {\n magic on\n}", wantErr: "Wrong argument count"},
		{input: "private 10.in-addr.arpa {\n magic\n}", wantErr: "reverse zone"},
	} {
		p, ok := parseCase(t, tc.input, tc.wantErr)
		switch {
		case !ok:
		case !p.Magic || p.ReadsCluster():
			t.Errorf("%q: %+v: want magic, and nothing read from the cluster", tc.input, p)
		}
	}
}

// A magic name costs one failed lookup and a parse of its labels.
func BenchmarkMagic(b *testing.B) {
	z := New(&Config{Sources: Sources{Zone: "sslip.io.", TTL: 30}, Magic: true}, b.Logf)
	if err := z.Start(nil, time.Hour); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(z.Stop)
	for _, name := range []string{"hello.default.10.0.0.1.sslip.io.", "app.2001-db8--1.sslip.io.", "no-address.sslip.io."} {
		b.Run(name, func(b *testing.B) {
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeA)
			w := &test.ResponseWriter{}
			b.ReportAllocs()
			for b.Loop() {
				z.ServeDNS(context.Background(), w, m)
			}
		})
	}
}
