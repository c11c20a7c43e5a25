package private

import (
	"net/netip"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"

	"github.com/miekg/dns"
)

// magic answers a name of a `magic` zone that the zone does not hold (res, an NXDOMAIN)
// with the address written in it, as sslip.io does, so that names such as Knative's
// default domain work in clusters that cannot reach sslip.io. It is computed per query:
// the names are unbounded, and parsing one costs less than a map of them would hold.
//
// The rules are sslip.io's (cunnie/sslip.io, xip.NameToA and NameToAAAA), applied to the
// labels below the zone:
//
//   - A: four decimal octets joined by dashes (app.10-0-0-1.ZONE, app-10-0-0-1.ZONE), else
//     joined by dots (10.0.0.1.ZONE, app.10.0.0.1.ZONE), else eight hex digits
//     (0a000001.ZONE); the leftmost of each form wins, dashes before dots before hex;
//   - AAAA: an IPv6 address with dashes for colons (--1.ZONE, 2001-db8--1.ZONE), in one
//     label or after a dash in it (www-2001-db8--1.ZONE); the leftmost wins;
//   - the address is a whole run of the name: it starts at a label's start or after a
//     dash, and ends at a label's end or before a dash or dot; octets have no leading zeros.
//
// A name holding an address of the other family, or asked for another type, is NODATA;
// a name holding none stays NXDOMAIN. Names the zone holds (its file, the cluster's
// records, a wildcard) answer from the zone: an explicit record wins. A CNAME of the zone
// pointing at a magic name is followed to it.
func (z *Zone) magic(qname string, qtype uint16, res zone.Result) zone.Result {
	name := qname
	if n := len(res.Answer); n > 0 {
		c, ok := res.Answer[n-1].(*dns.CNAME)
		if !ok {
			return res
		}
		name = c.Target
	}
	lname := strings.ToLower(dns.Fqdn(name))
	origin := z.cfg.Zone
	if len(lname) <= len(origin) || !dns.IsSubDomain(origin, lname) {
		return res
	}
	v4, v6 := magicAddrs(lname[:len(lname)-len(origin)-1])
	if !v4.IsValid() && !v6.IsValid() {
		return res
	}
	out := zone.Result{Rcode: dns.RcodeSuccess, Authoritative: true, Answer: res.Answer}
	hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: z.cfg.TTL}
	for _, a := range []netip.Addr{v4, v6} {
		if a.IsValid() && (qtype == dns.TypeANY || qtype == dns.TypeA && a.Is4() || qtype == dns.TypeAAAA && a.Is6()) {
			out.Answer = append(out.Answer, index.AddressRR(hdr, index.IP(a)))
		}
	}
	if len(out.Answer) == len(res.Answer) { // NODATA
		out.Ns = res.Ns
		if qtype == dns.TypeSOA {
			// An NXDOMAIN to an SOA query carries the SOA with TTL 0 (see zone.Lookup);
			// NODATA carries it with the negative TTL, as every negative answer.
			if a := z.Current().Lookup(origin, dns.TypeSOA).Answer; len(a) == 1 {
				soa := dns.Copy(a[0]).(*dns.SOA)
				soa.Hdr.Ttl = min(soa.Hdr.Ttl, soa.Minttl)
				out.Ns = []dns.RR{soa}
			}
		}
	}
	return out
}

// magicAddrs returns the IPv4 and the IPv6 address written in prefix (lowercase labels
// without the zone), each invalid when there is none.
func magicAddrs(prefix string) (v4, v6 netip.Addr) {
	toks := tokens(prefix)
	for _, sep := range []byte{'-', '.'} {
		if a, ok := octets(toks, sep); ok {
			v4 = a
			break
		}
	}
	if !v4.IsValid() {
		for _, t := range toks {
			if len(t.s) == 8 && isHex(t.s) {
				var b [4]byte
				for i := range b {
					b[i] = hexByte(t.s[2*i])<<4 | hexByte(t.s[2*i+1])
				}
				v4 = netip.AddrFrom4(b)
				break
			}
		}
	}
	return v4, ipv6Dashed(prefix)
}

// token is a run of a name between dots and dashes, with the separator before it (0 for
// the first).
type token struct {
	s   string
	sep byte
}

func tokens(s string) []token {
	var out []token
	sep, start := byte(0), 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' || s[i] == '-' {
			out = append(out, token{s[start:i], sep})
			if i < len(s) {
				sep, start = s[i], i+1
			}
		}
	}
	return out
}

// octets returns the leftmost four tokens that are decimal octets joined by sep.
func octets(toks []token, sep byte) (netip.Addr, bool) {
	for i := 0; i+4 <= len(toks); i++ {
		var b [4]byte
		ok := true
		for j := range 4 {
			t := toks[i+j]
			n, isOctet := octet(t.s)
			if !isOctet || (j > 0 && t.sep != sep) {
				ok = false
				break
			}
			b[j] = n
		}
		if ok {
			return netip.AddrFrom4(b), true
		}
	}
	return netip.Addr{}, false
}

// octet parses a decimal octet without leading zeros.
func octet(s string) (byte, bool) {
	if len(s) == 0 || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return byte(n), n <= 255
}

// ipv6Dashed returns the leftmost IPv6 address written with dashes for colons in a label
// of prefix, the longest at its start.
func ipv6Dashed(prefix string) netip.Addr {
	for label := range strings.SplitSeq(prefix, ".") {
		for start := 0; start < len(label); start++ {
			if start > 0 && label[start-1] != '-' {
				continue
			}
			for end := len(label); end > start; end-- {
				if end < len(label) && label[end] != '-' {
					continue
				}
				s := label[start:end]
				if !strings.Contains(s, "-") || strings.Trim(s, "0123456789abcdef-") != "" {
					continue
				}
				if a, err := netip.ParseAddr(strings.ReplaceAll(s, "-", ":")); err == nil && a.Is6() {
					return a
				}
			}
		}
	}
	return netip.Addr{}
}

func isHex(s string) bool { return strings.Trim(s, "0123456789abcdef") == "" }

func hexByte(c byte) byte {
	if c >= 'a' {
		return c - 'a' + 10
	}
	return c - '0'
}
