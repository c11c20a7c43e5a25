package clusterdns

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zone"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// maxCNAMEChain bounds CNAME chains followed inside the cluster zone, as CoreDNS does.
const maxCNAMEChain = 10

// answer builds the whole reply for a query in zone (lowercase) from one snapshot.
func (c *ClusterDNS) answer(ctx context.Context, state request.Request, zone string, snap *index.Snapshot) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(state.Req)
	m.Authoritative = true
	qname, lname := state.QName(), state.Name()
	// names in answers keep the case the client used, also for the zone part (as CoreDNS)
	qzone := qname[len(qname)-len(zone):]
	if !snap.Synced {
		m.Rcode = dns.RcodeServerFailure
		m.Ns = []dns.RR{c.soa(qzone, snap)}
		return m
	}
	qtype := state.QType()
	if lname == zone {
		switch qtype {
		case dns.TypeSOA:
			m.Answer = []dns.RR{c.soa(qzone, snap)}
		case dns.TypeNS:
			m.Answer, m.Extra = c.ns(qname, qzone, snap)
		}
		return c.finish(m, qzone, snap)
	}
	var node *index.Node
	if zonename.IsReverse(zone) {
		node = snap.Reverse(lname)
	} else {
		rel := lname[:len(lname)-len(zone)-1]
		node = snap.Lookup(rel)
		if node == nil {
			node = c.synthesize(rel, snap)
		}
	}
	if node == nil {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{c.soa(qzone, snap)}
		return m
	}
	hdr := dns.RR_Header{Name: qname, Class: dns.ClassINET, Ttl: c.TTL}
	switch qtype {
	case dns.TypeA, dns.TypeAAAA:
		if target := node.CNAMETarget(); target != "" {
			m.Answer, m.Truncated = c.chase(ctx, state, zone, target, qtype, snap)
			break
		}
		m.Answer = addresses(hdr, node, qtype)
	case dns.TypeSRV:
		m.Answer, m.Extra = c.srv(hdr, qzone, node)
	case dns.TypeTXT:
		if txt := node.Text(); txt != "" {
			hdr.Rrtype, hdr.Ttl = dns.TypeTXT, 28800
			m.Answer = []dns.RR{&dns.TXT{Hdr: hdr, Txt: []string{txt}}}
		}
	case dns.TypeCNAME:
		if target := node.CNAMETarget(); target != "" {
			hdr.Rrtype = dns.TypeCNAME
			m.Answer = []dns.RR{&dns.CNAME{Hdr: hdr, Target: target}}
		}
	case dns.TypePTR:
		hdr.Rrtype = dns.TypePTR
		for _, t := range node.PTRs() {
			m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr, Ptr: t})
		}
	}
	return c.finish(m, qzone, snap)
}

// finish turns an empty answer into NODATA: NOERROR with the SOA in the authority section.
func (c *ClusterDNS) finish(m *dns.Msg, qzone string, snap *index.Snapshot) *dns.Msg {
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{c.soa(qzone, snap)}
	}
	return m
}

func addresses(hdr dns.RR_Header, node *index.Node, qtype uint16) []dns.RR {
	if qtype == dns.TypeAAAA {
		return index.AddressRRs(hdr, node.AAAA)
	}
	return index.AddressRRs(hdr, node.A)
}

func (c *ClusterDNS) srv(hdr dns.RR_Header, qzone string, node *index.Node) (answer, extra []dns.RR) {
	if len(node.SRV) == 0 {
		return nil, nil
	}
	hdr.Rrtype = dns.TypeSRV
	answer = make([]dns.RR, len(node.SRV))
	srvs := make([]dns.SRV, len(node.SRV)) // allocated at once, as index.AddressRRs
	for i, s := range node.SRV {
		srvs[i] = dns.SRV{Hdr: hdr, Weight: s.Weight, Port: s.Port, Target: s.Target + qzone}
		answer[i] = &srvs[i]
	}
	extra = make([]dns.RR, len(node.Extra))
	for i, a := range node.Extra {
		extra[i] = index.AddressRR(dns.RR_Header{Name: a.Target + qzone, Class: dns.ClassINET, Ttl: c.TTL}, a.IP)
	}
	return answer, extra
}

// chase answers an ExternalName: the CNAME plus the target's addresses, from the snapshot
// when the target is in this zone, else through the server (plugin/pkg/upstream), as
// CoreDNS does. A target whose addresses cannot be found leaves the answer empty.
func (c *ClusterDNS) chase(ctx context.Context, state request.Request, zone, target string, qtype uint16, snap *index.Snapshot) ([]dns.RR, bool) {
	owner := state.QName()
	var chain []dns.RR
	for range maxCNAMEChain {
		if dns.IsSubDomain(strings.ToLower(owner), strings.ToLower(target)) {
			return nil, false // a target below its own name would loop
		}
		chain = append(chain, &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: c.TTL}, Target: target})
		lt := strings.ToLower(target)
		if lt == zone {
			return nil, false // the apex has no addresses
		}
		if !dns.IsSubDomain(zone, lt) {
			if c.Upstream == nil {
				return nil, false
			}
			resp, err := c.Upstream.Lookup(ctx, state, target, qtype)
			if err != nil || resp == nil {
				return nil, false
			}
			return append(chain, resp.Answer...), resp.Truncated
		}
		next := snap.Lookup(lt[:len(lt)-len(zone)-1])
		if next == nil {
			return nil, false
		}
		if next.CNAMETarget() == "" {
			rrs := addresses(dns.RR_Header{Name: target, Class: dns.ClassINET, Ttl: c.TTL}, next, qtype)
			if len(rrs) == 0 {
				return nil, false
			}
			return append(chain, rrs...), false
		}
		owner, target = target, next.CNAMETarget()
	}
	return nil, false
}

func (c *ClusterDNS) soa(qzone string, snap *index.Snapshot) dns.RR {
	names, ok := c.soaNames[qzone]
	if !ok { // the zone was asked in another case: build its names in that case, as CoreDNS
		names = soaNames(qzone)
	}
	return zone.SyntheticSOA(qzone, names.ns, names.mbox, min(c.TTL, 300), c.TTL, snap.Serial)
}

// zoneNames are the name server and mailbox of a zone's SOA.
type zoneNames struct{ ns, mbox string }

func soaNames(origin string) zoneNames {
	ns, mbox := zone.SOANames(origin)
	return zoneNames{ns, mbox}
}

func (c *ClusterDNS) ns(qname, qzone string, snap *index.Snapshot) (answer, extra []dns.RR) {
	seen := map[string]bool{}
	servers := snap.NS
	if c.index != nil {
		// the cluster zone's, also for a multicluster zone: the kubernetes plugin finds its
		// name servers from the cluster's own endpoints whatever the zone
		servers = c.index.Snapshot().NS
	}
	for _, a := range servers {
		target := a.Target + qzone
		extra = append(extra, index.AddressRR(dns.RR_Header{Name: target, Class: dns.ClassINET, Ttl: c.TTL}, a.IP))
		if !seen[target] {
			seen[target] = true
			answer = append(answer, &dns.NS{Hdr: dns.RR_Header{Name: qname, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: c.TTL}, Ns: target})
		}
	}
	return answer, extra
}

// synthesize answers the names that are not in the index: zone-scoped names with zonal,
// ns.dns of a multicluster zone, whose name servers are the cluster zone's as in the
// kubernetes plugin, and pod names, which hold their address. With pods insecure every
// address is answered; with pods verified only the address of a pod of that namespace, as
// the kubernetes plugin's findPods.
func (c *ClusterDNS) synthesize(rel string, snap *index.Snapshot) *index.Node {
	if rel == "ns.dns" && c.index != nil {
		return c.index.Snapshot().Get(rel)
	}
	if c.cfg.zonal && strings.HasSuffix(rel, ".svc") {
		return snap.Zonal(rel)
	}
	if !(c.cfg.podsInsecure || c.pods != nil) || !strings.HasSuffix(rel, ".pod") || strings.Count(rel, ".") != 2 {
		return nil
	}
	first, rest, _ := strings.Cut(rel, ".")
	if snap.Get(rest) == nil { // rest is NS.pod: the namespace must exist and be served
		return nil
	}
	s := podAddr(first)
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	if c.pods != nil {
		// The plugin compares the name's address as a string with the pod's, which the API
		// server reports in canonical form: 10-0-0-1 matches, fd00-0--1 does not.
		ns := rest[:len(rest)-len(".pod")]
		if ip.String() != s || !c.pods.InNamespace(ip, ns) {
			return nil
		}
	}
	return podNode(ip, rel)
}

// podAddr turns a pod name (1-2-3-4, or an IPv6 address with dashes) into an address as
// CoreDNS does.
func podAddr(label string) string {
	if strings.Count(label, "-") == 3 && !strings.Contains(label, "--") {
		return strings.ReplaceAll(label, "-", ".")
	}
	return strings.ReplaceAll(label, "-", ":")
}

// podNode is the node of a pod name, including its SRV record with port 0 pointing at the
// name itself, as CoreDNS answers it.
func podNode(ip netip.Addr, rel string) *index.Node {
	ip = ip.Unmap()
	n := &index.Node{
		SRV:   []index.SRV{{Weight: 100, Target: rel + "."}},
		Extra: []index.Addr{{Target: rel + ".", IP: index.IP(ip)}},
	}
	if ip.Is4() {
		n.A = []net.IP{index.IP(ip)}
	} else {
		n.AAAA = []net.IP{index.IP(ip)}
	}
	return n
}
