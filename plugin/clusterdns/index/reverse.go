package index

import "net/netip"

const (
	v4Suffix = ".in-addr.arpa."
	v6Suffix = ".ip6.arpa."
)

// addrFromReverse parses a complete reverse name (four decimal labels under in-addr.arpa,
// or 32 nibbles under ip6.arpa, lowercase) without allocating. Shorter names are not
// addresses.
func addrFromReverse(name string) (netip.Addr, bool) {
	switch {
	case len(name) > len(v4Suffix) && name[len(name)-len(v4Suffix):] == v4Suffix:
		return v4FromReverse(name[:len(name)-len(v4Suffix)])
	case len(name) == 64+len(v6Suffix)-1 && name[64-1:] == v6Suffix:
		return v6FromReverse(name[:64-1])
	}
	return netip.Addr{}, false
}

func v4FromReverse(labels string) (netip.Addr, bool) {
	var b [4]byte
	i := 3
	n, digits := 0, 0
	for j := 0; j <= len(labels); j++ {
		if j == len(labels) || labels[j] == '.' {
			if digits == 0 || i < 0 {
				return netip.Addr{}, false
			}
			b[i] = byte(n)
			i--
			n, digits = 0, 0
			continue
		}
		c := labels[j]
		if c < '0' || c > '9' || (digits > 0 && n == 0) { // no leading zeros, as net.ParseIP
			return netip.Addr{}, false
		}
		n, digits = n*10+int(c-'0'), digits+1
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if i != -1 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(b), true
}

// v6FromReverse parses "b.a.9.8. ... .0.f" (32 nibbles, least significant first).
func v6FromReverse(labels string) (netip.Addr, bool) {
	var b [16]byte
	for k := 0; k < 32; k++ {
		c := labels[2*k]
		if k < 31 && labels[2*k+1] != '.' {
			return netip.Addr{}, false
		}
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return netip.Addr{}, false
		}
		nibble := 31 - k // the first label is the last nibble
		if nibble%2 == 0 {
			b[nibble/2] |= v << 4
		} else {
			b[nibble/2] |= v
		}
	}
	return netip.AddrFrom16(b), true
}
