package zone

import "github.com/miekg/dns"

// ownerCase is how BIND 9.18 keeps the spelling of an RRset's owner name: one bit per byte
// of the name in wire format, set where the byte is an upper-case letter. BIND applies the
// bits by position to the owner it serves the RRset under. For a wildcard that owner is the
// query name, so `*.WiLd` (bits on W and L) answers `abc.wild` as `abC.Wild`, and a wildcard
// without capitals answers in lower case whatever the query's case.
type ownerCase [32]byte // 256 bits: a name in wire format has at most 255 bytes

// newOwnerCase returns the spelling of name, or nil when name has no capitals.
func newOwnerCase(name string) *ownerCase {
	var wire [256]byte
	n, err := dns.PackDomainName(name, wire[:], 0, nil, false)
	if err != nil {
		return nil
	}
	var c ownerCase
	upper := false
	for i, b := range wire[:n] {
		if 'A' <= b && b <= 'Z' {
			c[i/8] |= 1 << (i % 8)
			upper = true
		}
	}
	if !upper {
		return nil
	}
	return &c
}

// spell returns name spelled as c says: letters at the positions c marks in upper case, all
// others in lower case. A nil c spells the name in lower case.
func (c *ownerCase) spell(name string) string {
	if c == nil {
		return lower(name)
	}
	var wire [256]byte
	n, err := dns.PackDomainName(name, wire[:], 0, nil, false)
	if err != nil {
		return lower(name)
	}
	for i, b := range wire[:n] {
		upper := c[i/8]&(1<<(i%8)) != 0
		switch {
		case upper && 'a' <= b && b <= 'z':
			wire[i] = b - ('a' - 'A')
		case !upper && 'A' <= b && b <= 'Z':
			wire[i] = b + ('a' - 'A')
		}
	}
	spelled, _, err := dns.UnpackDomainName(wire[:n], 0)
	if err != nil {
		return lower(name)
	}
	return spelled
}
