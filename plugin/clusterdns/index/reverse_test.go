package index

import (
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

func TestAddrFromReverse(t *testing.T) {
	for _, ip := range []string{"10.96.0.1", "0.0.0.0", "255.255.255.255", "fd00:10:96::a", "2001:db8::1:0:0:1", "::"} {
		a := netip.MustParseAddr(ip)
		rev, _ := dns.ReverseAddr(ip)
		got, ok := addrFromReverse(rev)
		if !ok || got != a {
			t.Errorf("addrFromReverse(%q) = %v, %v; want %v", rev, got, ok, a)
		}
	}
	for _, name := range []string{
		"in-addr.arpa.", "0.96.10.in-addr.arpa.", "1.0.0.96.10.in-addr.arpa.", "01.0.96.10.in-addr.arpa.",
		"256.0.96.10.in-addr.arpa.", "a.0.96.10.in-addr.arpa.", "1..96.10.in-addr.arpa.", "1.0.96.10.ip6.arpa.",
		"g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
		"00.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
		"0.0.0.0.ip6.arpa.",
	} {
		if got, ok := addrFromReverse(name); ok {
			t.Errorf("addrFromReverse(%q) = %v, want no address", name, got)
		}
	}
}

func TestAppendLabel(t *testing.T) {
	for ip, want := range map[string]string{"10.0.0.1": "10-0-0-1", "fd00::1": "fd00--1", "fd00::": "fd00--0"} {
		if got := string(appendLabel(nil, netip.MustParseAddr(ip))); got != want {
			t.Errorf("appendLabel(%s) = %q, want %q", ip, got, want)
		}
	}
}
