package index

import (
	"cmp"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// Records calls fn with the records of the Services of the snapshot for a transfer of zone
// (fully qualified), as the kubernetes plugin's transferServices sends them, so a secondary
// that pulled the zone from it gets the same zone from us: Services by name (then
// namespace, where the plugin's order is unspecified); a ClusterIP Service's addresses, then
// per port an SRV record at its name and, for a named port, at _port._proto (weight 100);
// for a headless Service, per endpoint address an address record at the Service's and at the
// endpoint's name and an SRV record per named port at _port._proto (weight 100 over the
// addresses of its slice); an ExternalName's CNAME. Headless Services without endpoints
// have no name and send nothing, as in the plugin.
//
// These are not always the records a query gets: the plugin's transfer sends no SRV record
// at a headless Service's name, and its weights differ from its answers'. Keeping its
// records keeps secondaries fed by it unchanged.
func (s *Snapshot) Records(zone string, ttl uint32, fn func(dns.RR)) {
	type service struct {
		name, namespace, key string
		node                 *Node
	}
	var svcs []service
	s.Names.Range(func(key string, n *Node) bool {
		if n.entry == nil && n.CNAMETarget() == "" {
			return true
		}
		name, rest, _ := strings.Cut(key, ".")
		if ns, ok := strings.CutSuffix(rest, ".svc"); ok && !strings.Contains(ns, ".") {
			svcs = append(svcs, service{name, ns, key, n})
		}
		return true
	})
	slices.SortFunc(svcs, func(a, b service) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.namespace, b.namespace))
	})
	hdr := func(name string) dns.RR_Header {
		return dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: ttl}
	}
	srv := func(owner, target string, port int32, weight uint16) dns.RR {
		h := hdr(owner)
		h.Rrtype = dns.TypeSRV
		return &dns.SRV{Hdr: h, Port: uint16(port), Weight: weight, Target: target} // #nosec G115 -- API ports are 1-65535
	}
	for _, sv := range svcs {
		owner := sv.key + "." + zone
		if t := sv.node.CNAMETarget(); t != "" {
			h := hdr(owner)
			h.Rrtype = dns.TypeCNAME
			fn(&dns.CNAME{Hdr: h, Target: t})
			continue
		}
		e := sv.node.entry
		if !e.svc.Headless {
			for _, ip := range e.svc.ClusterIPs {
				fn(AddressRR(hdr(owner), IP(ip)))
			}
			for _, p := range e.svc.Ports {
				fn(srv(owner, owner, p.Port, 100))
				if p.Name != "" {
					fn(srv(portName(p.Name, p.Protocol, owner), owner, p.Port, 100))
				}
			}
			continue
		}
		var buf [64]byte
		for _, sl := range e.slices {
			addrs := 0
			for _, ep := range sl.Endpoints {
				addrs += len(ep.Addresses)
			}
			weight := uint16(max(1, 100/max(1, addrs))) // #nosec G115 -- at most 100
			for i := range sl.Endpoints {
				ep := &sl.Endpoints[i]
				for _, ip := range ep.Addresses {
					target := e.endpointLabel(&buf, ep, ip, sl.Cluster) + "." + owner
					fn(AddressRR(hdr(owner), IP(ip)))
					fn(AddressRR(hdr(target), IP(ip)))
					for _, p := range sl.Ports {
						if p.Name != "" {
							fn(srv(portName(p.Name, p.Protocol, owner), target, p.Port, weight))
						}
					}
				}
			}
		}
	}
}

// portName is the owner name of a named port's SRV record, lowercase as in the plugin.
func portName(name, proto, owner string) string {
	return "_" + strings.ToLower(name) + "._" + strings.ToLower(proto) + "." + owner
}
