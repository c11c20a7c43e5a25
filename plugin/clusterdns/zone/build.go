package zone

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// New builds a zone for origin from rrs. Their order matters only where it matters to BIND's
// loader: RRsets take the owner spelling of their first record, and their TTL from the last
// run of consecutive records spelling the owner identically (see the package doc).
// Duplicate records are dropped. rrs stays the caller's: the zone keeps its own copies.
//
// Without an SOA, New synthesizes `ORIGIN SOA ns.dns.ORIGIN hostmaster.ORIGIN SERIAL 7200
// 1800 86400 TTL`, and without NS records at the apex `ORIGIN NS ns.dns.ORIGIN`, with TTL
// and SERIAL from opts; no address records are made for ns.dns.ORIGIN.
//
// Data that cannot be served consistently is an error naming the record: records outside
// the zone or of a class other than IN, CNAME and other data at one name, a CNAME at the
// apex, two CNAMEs or two SOAs, an SOA below the apex, NS at a wildcard, meta types,
// records without data, and the types this package does not serve (DNAME, DNSSEC records).
func New(origin string, rrs []dns.RR, opts Options) (*Zone, error) {
	if _, ok := dns.IsDomainName(origin); !ok {
		return nil, fmt.Errorf("invalid zone name %q", origin)
	}
	origin = dns.Fqdn(origin)
	b := &builder{z: &Zone{origin: lower(origin), nodes: make(map[string]*node)}}
	for i, rr := range rrs {
		if err := b.add(rr); err != nil {
			return nil, &recordError{index: i, err: err}
		}
	}
	b.synthesize(origin, opts)
	b.finish()
	return b.z, nil
}

// recordError is the error of one record given to New: Parse turns index into FILE:LINE.
type recordError struct {
	index int
	err   error
}

func (e *recordError) Error() string { return e.err.Error() }

type builder struct {
	z          *Zone
	batch      int    // runs of consecutive records with the same owner spelling, numbered
	batchOwner string // owner spelling of the current run
	wire       []byte // reused to pack records
}

func (b *builder) add(rr dns.RR) error {
	if rr == nil || reflect.ValueOf(rr).IsNil() {
		return fmt.Errorf("nil record")
	}
	rr, err := b.normalize(rr)
	if err != nil {
		return err
	}
	h := rr.Header()
	name := lower(h.Name)
	n := b.z.nodes[name]
	if n == nil {
		n = &node{name: name}
		b.z.nodes[name] = n
	}
	if err := b.check(n, rr); err != nil {
		return fmt.Errorf("%s %s: %v", h.Name, dns.Type(h.Rrtype), err)
	}
	if h.Name != b.batchOwner {
		b.batch++
		b.batchOwner = h.Name
	}
	s := n.rrset(h.Rrtype)
	if s == nil {
		s = &rrset{rrtype: h.Rrtype, batch: b.batch}
		n.rrsets = append(n.rrsets, s)
	}
	if s.batch != b.batch {
		// BIND's loader merges a later run into the RRset with the run's TTL.
		s.batch = b.batch
		for _, r := range s.rrs {
			r.Header().Ttl = h.Ttl
		}
	}
	if len(s.rrs) > 0 {
		first := s.rrs[0].Header()
		h.Name, h.Ttl = first.Name, first.Ttl
	}
	for _, r := range s.rrs {
		if dns.IsDuplicate(r, rr) {
			return nil
		}
	}
	s.rrs = append(s.rrs, rr)
	b.z.count++
	return nil
}

// normalize returns the zone's own copy of rr, packed and unpacked: data that cannot be sent
// fails here, names are in one presentation form (`\065` reads `A`), and known types are
// their Go types (an RFC 3597 NS is a *dns.NS), which lookups rely on. A record without
// data fails too: the zone parser reads `name A` as an update's deletion record.
func (b *builder) normalize(rr dns.RR) (dns.RR, error) {
	h := rr.Header()
	// A message, not dns.PackRR, which would write the rdata length into the caller's rr.
	msg := dns.Msg{Answer: []dns.RR{rr}}
	wire, err := msg.PackBuffer(b.wire)
	if err != nil {
		return nil, fmt.Errorf("%s %s: invalid record: %v", h.Name, dns.Type(h.Rrtype), err)
	}
	b.wire = wire[:cap(wire)]
	copied, _, err := dns.UnpackRR(wire, 12) // after the message header
	if err != nil {
		return nil, fmt.Errorf("%s %s: invalid record: %v", h.Name, dns.Type(h.Rrtype), err)
	}
	if copied.Header().Rdlength == 0 {
		return nil, fmt.Errorf("%s %s: no data", h.Name, dns.Type(h.Rrtype))
	}
	return copied, nil
}

// check validates rr, about to join node n.
func (b *builder) check(n *node, rr dns.RR) error {
	h := rr.Header()
	if !b.z.contains(n.name) {
		return fmt.Errorf("out of zone %s", b.z.origin)
	}
	if h.Class != dns.ClassINET {
		return fmt.Errorf("class %s in an IN zone", dns.Class(h.Class))
	}
	switch t := h.Rrtype; {
	case isMeta(t):
		return fmt.Errorf("meta type, not zone data")
	case t == dns.TypeDNAME:
		return fmt.Errorf("DNAME is not supported")
	case t == dns.TypeRRSIG || t == dns.TypeNSEC || t == dns.TypeNSEC3 || t == dns.TypeNSEC3PARAM:
		return fmt.Errorf("DNSSEC records are not supported: zones are served unsigned")
	case t == dns.TypeSOA && n.name != b.z.origin:
		return fmt.Errorf("SOA below the zone apex")
	case t == dns.TypeCNAME && n.name == b.z.origin:
		return fmt.Errorf("CNAME at the zone apex")
	case t == dns.TypeNS && strings.HasPrefix(n.name, "*.") && n.name != b.z.origin:
		return fmt.Errorf("NS at a wildcard")
	}
	// A CNAME is alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1); a zone has one SOA.
	for _, s := range n.rrsets {
		if (s.rrtype == dns.TypeCNAME) != (h.Rrtype == dns.TypeCNAME) {
			return fmt.Errorf("CNAME and other data")
		}
		if s.rrtype == h.Rrtype && (s.rrtype == dns.TypeCNAME || s.rrtype == dns.TypeSOA) && !dns.IsDuplicate(s.rrs[0], rr) {
			return fmt.Errorf("more than one %s record", dns.Type(s.rrtype))
		}
	}
	return nil
}

// synthesize adds the SOA and apex NS the records lack.
func (b *builder) synthesize(origin string, opts Options) {
	ttl := opts.TTL
	if ttl == 0 {
		ttl = DefaultTTL
	}
	apex := b.z.nodes[b.z.origin]
	if apex == nil {
		apex = &node{name: b.z.origin}
		b.z.nodes[b.z.origin] = apex
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: origin, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	nsName, mbox := SOANames(origin)
	if apex.rrset(dns.TypeSOA) == nil {
		soa := SyntheticSOA(origin, nsName, mbox, ttl, ttl, opts.Serial)
		apex.rrsets = append(apex.rrsets, &rrset{rrtype: dns.TypeSOA, rrs: []dns.RR{soa}})
		b.z.count++
	}
	if apex.rrset(dns.TypeNS) == nil {
		ns := &dns.NS{Hdr: hdr(dns.TypeNS), Ns: nsName}
		apex.rrsets = append(apex.rrsets, &rrset{rrtype: dns.TypeNS, rrs: []dns.RR{ns}})
		b.z.count++
	}
}

// finish adds the empty non-terminals, marks delegations and wildcards, and computes the
// additional sections, which depend on nothing but the zone.
func (b *builder) finish() {
	z := b.z
	names := make([]string, 0, len(z.nodes))
	for name := range z.nodes {
		names = append(names, name)
	}
	for _, name := range names {
		for name != z.origin {
			name = parent(name)
			if z.nodes[name] != nil {
				break
			}
			z.nodes[name] = &node{name: name}
		}
	}
	z.apex = z.nodes[z.origin]
	for _, n := range z.nodes {
		slices.SortFunc(n.rrsets, func(a, b *rrset) int { return cmp.Compare(a.rrtype, b.rrtype) })
		n.cut = n != z.apex && n.rrset(dns.TypeNS) != nil
		if n != z.apex && strings.HasPrefix(n.name, "*.") {
			z.nodes[parent(n.name)].wild = n
			for _, s := range n.rrsets {
				s.spelling = newOwnerCase(s.rrs[0].Header().Name)
			}
		}
	}
	z.soa = z.apex.rrset(dns.TypeSOA).rrs[0].(*dns.SOA)
	z.negSOA, z.soaNoTTL = dns.Copy(z.soa).(*dns.SOA), dns.Copy(z.soa).(*dns.SOA)
	z.negSOA.Hdr.Ttl, z.soaNoTTL.Hdr.Ttl = min(z.soa.Hdr.Ttl, z.soa.Minttl), 0
	for _, n := range z.nodes {
		if n.cut {
			n.glue = z.glue(n.rrset(dns.TypeNS))
		}
	}
	z.nsExtra = z.addresses(z.apex.rrset(dns.TypeNS))
}

// parent returns name without its first label; name must not be the root.
func parent(name string) string {
	i, _ := dns.NextLabel(name, 0)
	return name[i:]
}
