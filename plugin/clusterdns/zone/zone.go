// Package zone is an authoritative zone engine for private zones. It parses RFC 1035 zone
// files (Parse, Watch), builds an immutable Zone from their records merged with records
// generated elsewhere (New), and answers queries (Lookup) exactly as BIND 9.18 answers for
// the same data when configured with `minimal-responses yes;`: RFC 1034 §4.3.2 with RFC
// 4592 wildcards, CNAME chains, delegations, NXDOMAIN and NODATA. bind_test.go checks this
// against named, query by query.
//
// BIND's own quirks are reproduced, as a client of either server sees them:
//
//   - Owner names keep the spelling of the zone data, not of the query: each RRset is served
//     with the spelling of its first record. A wildcard RRset serves the query name with the
//     capitals of the wildcard's owner applied by byte position, as BIND does (`*.WiLd`
//     answers `ABC.wild` as `abC.Wild`); an all lower-case wildcard answers in lower case.
//   - The TTL of an RRset whose records disagree is the first TTL of the last run of
//     consecutive records spelling the owner identically (BIND's loader keeps the first TTL
//     within a run and a later run replaces it). Duplicate records are dropped.
//   - A CNAME chain is followed through the zone for at most 11 more names; a longer chain
//     or a loop answers SERVFAIL with the CNAMEs found, as BIND 9.18 does.
//   - Negative answers carry the SOA with TTL min(SOA TTL, SOA MINIMUM); NXDOMAIN answers to
//     SOA queries with TTL 0.
//
// What BIND does and this package deliberately does not:
//
//   - DNAME, and DNSSEC records (RRSIG, NSEC, NSEC3, NSEC3PARAM) are rejected: zones are
//     served unsigned and without DNAME substitution.
//   - BIND's load-time policy checks (check-names, check-integrity: NS targets without
//     addresses, MX or SRV to CNAMEs) are not made: such data is served as it is.
//   - A Zone knows no other zone: a CNAME leaving it ends the chain, where a BIND serving
//     the target's zone too would go on.
//   - Zone transfers are the caller's job (Records); Lookup answers AXFR and IXFR with
//     FORMERR, as BIND does over UDP.
package zone

import (
	"bytes"
	"cmp"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// DefaultTTL is the TTL of synthesized SOA and NS records when Options.TTL is zero.
const DefaultTTL = 30

// Options sets what New synthesizes for records that lack an SOA or apex NS.
type Options struct {
	// TTL of the synthesized SOA and NS records, and the synthesized SOA's MINIMUM (the
	// TTL of negative answers). Zero means DefaultTTL.
	TTL uint32
	// Serial of the synthesized SOA. A zone with its own SOA serves that SOA's serial.
	Serial uint32
}

// Zone is an immutable authoritative zone. Its methods are safe for concurrent use.
type Zone struct {
	origin   string           // lower case, fully qualified
	nodes    map[string]*node // lower-case owner name → node, empty non-terminals included
	apex     *node
	soa      *dns.SOA // as served to SOA queries
	negSOA   *dns.SOA // as served in negative answers
	soaNoTTL *dns.SOA // as served in NXDOMAIN answers to SOA queries
	nsExtra  []dns.RR // addresses of the apex NS targets, the additional section of NS answers
	count    int      // records in the zone
}

// node is one owner name.
type node struct {
	name   string   // lower case
	rrsets []*rrset // by type; none for an empty non-terminal
	cut    bool     // has NS and is not the apex: a delegation
	wild   *node    // the node "*.name", if any
	glue   []dns.RR // for a delegation: the additional section of its referrals
}

// rrset holds the records of one type at one node, as served: every record carries the
// owner spelling and TTL BIND would serve.
type rrset struct {
	rrtype   uint16
	rrs      []dns.RR
	spelling *ownerCase // at a wildcard: the capitals of its owner, nil when it has none

	batch int // while building: the run of records that last set the TTL
}

func (n *node) rrset(rrtype uint16) *rrset {
	for _, s := range n.rrsets {
		if s.rrtype == rrtype {
			return s
		}
	}
	return nil
}

// Origin returns the zone's name, lower case and fully qualified.
func (z *Zone) Origin() string { return z.origin }

// Serial returns the serial of the zone's SOA.
func (z *Zone) Serial() uint32 { return z.soa.Serial }

// Len returns the number of records in the zone, the SOA included.
func (z *Zone) Len() int { return z.count }

// Records returns every record of the zone, for zone transfers: the SOA first, then the
// owner names in DNSSEC canonical order (RFC 4034 §6.1), each name's RRsets by type. The
// slice is the caller's; the records are shared with the zone and must not be modified.
func (z *Zone) Records() []dns.RR {
	type owner struct {
		labels [][]byte // from the right
		node   *node
	}
	owners := make([]owner, 0, len(z.nodes))
	for _, n := range z.nodes {
		if len(n.rrsets) > 0 {
			owners = append(owners, owner{rightToLeft(n.name), n})
		}
	}
	slices.SortFunc(owners, func(a, b owner) int {
		for i := 0; i < len(a.labels) && i < len(b.labels); i++ {
			if c := bytes.Compare(a.labels[i], b.labels[i]); c != 0 {
				return c
			}
		}
		return cmp.Compare(len(a.labels), len(b.labels))
	})
	rrs := make([]dns.RR, 0, z.count)
	rrs = append(rrs, z.soa)
	for _, o := range owners {
		for _, s := range o.node.rrsets {
			if s.rrtype != dns.TypeSOA {
				rrs = append(rrs, s.rrs...)
			}
		}
	}
	return rrs
}

// rightToLeft returns the labels of name as octets (escapes undone), the rightmost first.
func rightToLeft(name string) [][]byte {
	wire := make([]byte, 256)
	end, err := dns.PackDomainName(name, wire, 0, nil, false)
	if err != nil {
		return nil
	}
	var labels [][]byte
	for off := 0; off < end && wire[off] != 0; off += int(wire[off]) + 1 {
		labels = append(labels, wire[off+1:off+1+int(wire[off])])
	}
	slices.Reverse(labels)
	return labels
}

// contains reports whether the lower-case name is the origin or below it.
func (z *Zone) contains(name string) bool {
	if name == z.origin || z.origin == "." {
		return true
	}
	if !strings.HasSuffix(name, z.origin) {
		return false
	}
	dot := len(name) - len(z.origin) - 1
	return dot >= 0 && name[dot] == '.' && !escaped(name, dot)
}

// escaped reports whether the byte at i of a presentation-format name is escaped by an odd
// number of backslashes.
func escaped(name string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && name[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// lower returns s with ASCII letters in lower case (DNS names compare case-insensitively
// in ASCII only), without allocating when it already is.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// isMeta reports whether t is a meta or query type (RFC 6895 §3.1): never zone data.
func isMeta(t uint16) bool {
	return t == dns.TypeOPT || (t >= 128 && t <= 255)
}
