package index

import (
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
