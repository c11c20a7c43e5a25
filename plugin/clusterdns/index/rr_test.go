package index

import (
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func TestAddressRR(t *testing.T) {
	hdr := dns.RR_Header{Name: "a.example.", Class: dns.ClassINET, Ttl: 30}
	for addr, want := range map[string]string{
		"10.0.0.1": "a.example.\t30\tIN\tA\t10.0.0.1",
		"fd00::1":  "a.example.\t30\tIN\tAAAA\tfd00::1",
	} {
		if got := AddressRR(hdr, IP(netip.MustParseAddr(addr))).String(); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func TestAddressRRs(t *testing.T) {
	hdr := dns.RR_Header{Name: "a.example.", Class: dns.ClassINET, Ttl: 30}
	for _, tc := range []struct {
		name  string
		addrs []string
	}{
		{"none", nil},
		{"IPv4", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{"IPv6", []string{"fd00::1", "fd00::2"}},
		{"mixed", []string{"10.0.0.1", "fd00::1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ips []net.IP
			var want []string
			for _, a := range tc.addrs {
				ip := IP(netip.MustParseAddr(a))
				ips = append(ips, ip)
				want = append(want, AddressRR(hdr, ip).String())
			}
			got := AddressRRs(hdr, ips)
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].String() != want[i] {
					t.Errorf("record %d: %q, want %q", i, got[i], want[i])
				}
			}
			if len(got) > 1 {
				// the records share an array: each must still be its own record
				got[0].Header().Ttl = 1
				if got[1].Header().Ttl != 30 {
					t.Error("changing one record changed another")
				}
			}
		})
	}
}
