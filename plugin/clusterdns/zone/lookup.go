package zone

import (
	"strings"

	"github.com/miekg/dns"
)

// Result is the reply to one query: rcode, AA flag and sections. The slices are the
// caller's; the records in them may be shared with the zone and must not be modified (copy
// them with dns.Copy first).
type Result struct {
	Rcode             int
	Authoritative     bool
	Answer, Ns, Extra []dns.RR
}

// maxRestarts is how many CNAME targets BIND 9.18 looks up after the query name
// (MAX_RESTARTS); finding yet another CNAME then answers SERVFAIL.
const maxRestarts = 11

// Lookup answers a query as BIND 9.18 answers it from this zone with minimal-responses yes:
//
//   - the name's RRset; ANY: all its RRsets; NODATA (NOERROR, the SOA in authority) when it
//     has none of the type, also for empty non-terminals; NXDOMAIN with the SOA when the
//     name does not exist and no wildcard covers it;
//   - a wildcard answers for names below its parent that do not exist and are not below
//     a name that exists (RFC 4592), under the query name;
//   - a CNAME is answered and followed through the zone, unless the type asked is CNAME or
//     ANY; the rcode is that of the chain's last name (RFC 6604), SERVFAIL when the chain
//     is longer than BIND follows or loops;
//   - at or below a delegation: a referral, AA off, the NS RRset in authority and the
//     addresses of NS targets at or below delegations (glue) in additional. DS at the
//     delegation itself is answered from this zone;
//   - NS answers carry the addresses of the NS targets in additional;
//   - names outside the zone: REFUSED; MAILA and MAILB: NOTIMP; other meta types
//     (AXFR, IXFR, OPT, ...): FORMERR; an invalid name: FORMERR.
func (z *Zone) Lookup(qname string, qtype uint16) Result {
	if rcode, ok := metaRcode(qtype); ok {
		return Result{Rcode: rcode}
	}
	qname = dns.Fqdn(qname)
	if _, ok := dns.IsDomainName(qname); !ok {
		return Result{Rcode: dns.RcodeFormatError}
	}
	name, lname := qname, lower(qname)
	if !z.contains(lname) {
		return Result{Rcode: dns.RcodeRefused}
	}
	r := Result{Rcode: dns.RcodeSuccess, Authoritative: true}
	for restarts := 0; ; restarts++ {
		target := z.answer(&r, name, lname, qtype, restarts == 0)
		switch {
		case target == "":
			return r
		case restarts == maxRestarts:
			r.Rcode = dns.RcodeServerFailure
			return r
		}
		name, lname = target, lower(target)
		if !z.contains(lname) {
			return r // BIND goes on only in zones it serves
		}
	}
}

// answer adds to r what looking up name (lname in lower case) contributes, and returns the
// target of the CNAME to look up next, if any.
func (z *Zone) answer(r *Result, name, lname string, qtype uint16, first bool) (target string) {
	m := z.find(name, lname, qtype)
	switch {
	case m.cut != nil:
		if first { // else a CNAME of this zone led here, and AA stays on
			r.Authoritative = false
		}
		r.Ns = append(r.Ns, m.cut.rrset(dns.TypeNS).rrs...)
		r.Extra = append(r.Extra, m.cut.glue...)
		return ""
	case m.node == nil:
		r.Rcode = dns.RcodeNameError
		r.Ns = append(r.Ns, z.nxdomainSOA(qtype))
		return ""
	}
	if cname := m.node.rrset(dns.TypeCNAME); cname != nil && qtype != dns.TypeCNAME && qtype != dns.TypeANY {
		rr := m.records(cname)[0]
		// A loop comes back to CNAMEs already answered: BIND adds each RRset once.
		if !inSection(r.Answer, rr) {
			r.Answer = append(r.Answer, rr)
		}
		return rr.(*dns.CNAME).Target
	}
	found := false
	for _, s := range m.node.rrsets {
		if qtype == dns.TypeANY || s.rrtype == qtype {
			r.Answer = append(r.Answer, m.records(s)...)
			found = true
		}
	}
	switch {
	case !found:
		r.Ns = append(r.Ns, z.negSOA)
	case qtype == dns.TypeNS:
		// Only the apex answers NS: elsewhere NS makes a delegation.
		r.Extra = append(r.Extra, z.nsExtra...)
	}
	return ""
}

// nxdomainSOA returns the SOA of NXDOMAIN answers: TTL min(TTL, MINIMUM) as in every
// negative answer (RFC 2308 §3), but 0 when the question was for the SOA, as BIND sets it
// (zero-no-soa-ttl) so that caches cannot take the SOA for the answer.
func (z *Zone) nxdomainSOA(qtype uint16) dns.RR {
	if qtype == dns.TypeSOA {
		return z.soaNoTTL
	}
	return z.negSOA
}

// match is where a name leads in the zone.
type match struct {
	cut   *node  // the delegation the name is at or below: a referral
	node  *node  // the node answering: the name's own, or a wildcard; nil: NXDOMAIN
	owner string // for a wildcard, the name its records are served under
}

// records returns the records of s as m serves them: a wildcard's under the name asked.
func (m match) records(s *rrset) []dns.RR {
	if m.owner == "" {
		return s.rrs
	}
	owner := s.spelling.spell(m.owner)
	rrs := make([]dns.RR, len(s.rrs))
	for i, rr := range s.rrs {
		rrs[i] = dns.Copy(rr)
		rrs[i].Header().Name = owner
	}
	return rrs
}

// find walks name (lname in lower case), which must be in the zone, from the apex down as
// BIND's zone database does: the first delegation on the way wins (except for DS at the delegation itself,
// which the parent side answers), then the name's own node, else the wildcard child of the
// closest existing name (RFC 4592 §3.3.1; empty non-terminals exist and so block wildcards
// above them).
func (z *Zone) find(name, lname string, qtype uint16) match {
	var starts [128]int // offsets of lname's labels below the origin; names have at most 127
	labels := 0
	originAt := len(lname) - len(z.origin)
	for off, end := 0, false; !end && off < originAt && labels < len(starts); off, end = dns.NextLabel(lname, off) {
		starts[labels] = off
		labels++
	}
	if labels == 0 {
		return match{node: z.apex}
	}
	encloser := z.apex
	for i := labels - 1; i >= 0; i-- {
		n := z.nodes[lname[starts[i]:]]
		if n == nil {
			break
		}
		if n.cut && (i > 0 || qtype != dns.TypeDS) {
			return match{cut: n}
		}
		if i == 0 {
			return match{node: n}
		}
		encloser = n
	}
	if encloser.wild != nil {
		return match{node: encloser.wild, owner: name}
	}
	return match{}
}

// glue returns the additional section of referrals to the delegation whose NS RRset is ns:
// the addresses of the NS targets at or below a delegation of this zone. With
// minimal-responses yes, BIND adds no addresses the zone answers authoritatively.
func (z *Zone) glue(ns *rrset) []dns.RR {
	var extra []dns.RR
	for _, rr := range ns.rrs {
		target := lower(rr.(*dns.NS).Ns)
		if !z.contains(target) || z.find(target, target, dns.TypeA).cut == nil {
			continue
		}
		if n := z.nodes[target]; n != nil {
			extra = appendAddresses(extra, match{node: n})
		}
	}
	return extra
}

// addresses returns the additional section of an answer to an NS query: the addresses this
// zone answers authoritatively, wildcards included, for the targets of ns.
func (z *Zone) addresses(ns *rrset) []dns.RR {
	var extra []dns.RR
	for _, rr := range ns.rrs {
		target, ltarget := rr.(*dns.NS).Ns, lower(rr.(*dns.NS).Ns)
		if !z.contains(ltarget) {
			continue
		}
		if m := z.find(target, ltarget, dns.TypeA); m.node != nil {
			extra = appendAddresses(extra, m)
		}
	}
	return extra
}

func appendAddresses(extra []dns.RR, m match) []dns.RR {
	for _, t := range [...]uint16{dns.TypeA, dns.TypeAAAA} {
		if s := m.node.rrset(t); s != nil {
			extra = append(extra, m.records(s)...)
		}
	}
	return extra
}

// inSection reports whether rrs holds an RRset with rr's owner and type.
func inSection(rrs []dns.RR, rr dns.RR) bool {
	h := rr.Header()
	for _, r := range rrs {
		if r.Header().Rrtype == h.Rrtype && strings.EqualFold(r.Header().Name, h.Name) {
			return true
		}
	}
	return false
}

// metaRcode returns the rcode BIND 9.18 gives a query type that is not answered from zone
// data: NOTIMP for MAILA and MAILB, FORMERR for the other meta types (AXFR and IXFR as
// over UDP; zone transfers are served from Records).
func metaRcode(qtype uint16) (int, bool) {
	switch {
	case qtype == dns.TypeANY:
		return 0, false
	case qtype == dns.TypeMAILA || qtype == dns.TypeMAILB:
		return dns.RcodeNotImplemented, true
	case isMeta(qtype):
		return dns.RcodeFormatError, true
	}
	return 0, false
}
