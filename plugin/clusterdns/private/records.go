// Package private serves private zones: what Kubernetes objects put into a zone (exported
// Services, Ingress hosts and mesh hosts) merged with the zone's file (Records, Zone), its
// queries (ServeDNS) and its grammar (ParseBlock).
//
// Zone transfers are CoreDNS's transfer plugin's job, as for every CoreDNS zone: a Zone
// implements transfer.Transferer and calls (*transfer.Transfer).Notify when its serial
// changes, as the file plugin does. One rule of ours stays: the serial never goes back
// behind what the secondaries hold, so at start a zone asks its peers for their SOA. The
// transfer plugin keeps its peer list unexported and offers no accessor, so the zone reads
// it with reflection (peers, read-only, tested against the plugin's own setup in
// TestPeers) rather than asking users to list the peers a second time in the private
// block; a `transfer to` inside private, from earlier releases, is an error that says what
// to write instead.
package private

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// Export says which Services a private zone serves.
type Export int

const (
	ExportNone      Export = iota
	ExportAnnotated        // Services with a hostname annotation or clusterdns.io/export: "true"
	ExportAll              // every Service with an address peered clients can reach
)

// MeshGateway is the Istio Gateway that VirtualServices bind to when they are meant for
// peered clients.
const MeshGateway = "external-mesh"

// Sources is what the cluster contributes to one forward private zone.
type Sources struct {
	Zone      string // lowercase, fully qualified
	Services  Export
	Ingresses bool
	Mesh      bool
	Gateway   model.Key // the Service whose address mesh hosts get when the file has no wildcard
	TTL       uint32
	// Namespaces, when set, are the only namespaces whose objects may put names in the zone:
	// a hostname annotation is otherwise a claim any namespace can make.
	Namespaces model.Namespaces

	DNSEndpoints bool // external-dns DNSEndpoint records (dnsendpoint.go)
}

// Needs reports whether the zone reads anything from the cluster.
func (s *Sources) Needs() bool {
	return s.Services != ExportNone || s.Ingresses || s.Mesh || s.DNSEndpoints
}

// sources are the kinds of objects, each in a file of its own, that put claims in a zone.
var sources = []source{
	dnsEndpoints,
}

// claim is one object's record at a name, remembered to report conflicts.
type claim struct {
	rr    dns.RR
	owner string // "Service ns/name", "Ingress ns/name", "VirtualService ns/name"
}

// Records returns the records the cluster gives the zone, given the records of its file.
// Problems (names claimed by several objects, names the file already holds as a CNAME)
// are resolved as documented and returned as messages to log.
func Records(src *Sources, v model.View, file []dns.RR) (rrs []dns.RR, problems []string) {
	inFile := map[string]bool{}
	var wildcard []netip.Addr
	for _, rr := range file {
		name := strings.ToLower(rr.Header().Name)
		inFile[name] = true
		switch r := rr.(type) {
		case *dns.A:
			if name == "*."+src.Zone {
				wildcard = append(wildcard, addr(r.A))
			}
		case *dns.AAAA:
			if name == "*."+src.Zone {
				wildcard = append(wildcard, addr(r.AAAA))
			}
		}
	}
	byName := map[string][]claim{}
	add := func(owner string, rr dns.RR) {
		byName[rr.Header().Name] = append(byName[rr.Header().Name], claim{rr, owner})
	}
	if src.Services != ExportNone {
		v.ExposedServices(func(s *model.Service) {
			if (src.Services == ExportAnnotated && !s.Exposure.Annotated) || !src.Namespaces.Allow(s.Namespace) {
				return
			}
			owner := "Service " + s.Namespace + "/" + s.Name
			for _, name := range serviceNames(s, src.Zone) {
				for _, rr := range addressRecords(name, src.TTL, s.Exposure.Addrs, s.Exposure.Target) {
					add(owner, rr)
				}
				for _, rr := range srvRecords(name, src.TTL, s, s.Exposure.Target) {
					add(owner, rr)
				}
			}
		})
	}
	if src.Ingresses {
		v.Ingresses(func(in *model.Ingress) {
			if !src.Namespaces.Allow(in.Namespace) {
				return
			}
			owner := "Ingress " + in.Namespace + "/" + in.Name
			for _, h := range in.Hosts {
				if dns.IsSubDomain(src.Zone, h) && h != src.Zone {
					for _, rr := range addressRecords(h, src.TTL, in.Addrs, in.Target) {
						add(owner, rr)
					}
				}
			}
		})
	}
	if src.Mesh {
		meshAddrs, meshTarget := wildcard, ""
		if len(meshAddrs) == 0 && src.Gateway.Name != "" {
			if gw := v.Service(src.Gateway); gw != nil && gw.Exposure != nil {
				meshAddrs, meshTarget = gw.Exposure.Addrs, gw.Exposure.Target
			} else {
				problems = append(problems, fmt.Sprintf("mesh gateway Service %s has no load balancer or external address: mesh hosts of %s are not served", src.Gateway, src.Zone))
			}
		}
		v.VirtualServices(func(vs *model.VirtualService) {
			if !vs.BoundTo(MeshGateway) || !src.Namespaces.Allow(vs.Namespace) {
				return
			}
			owner := "VirtualService " + vs.Namespace + "/" + vs.Name
			for _, h := range vs.Hosts {
				if dns.IsSubDomain(src.Zone, h) && h != src.Zone {
					for _, rr := range addressRecords(h, src.TTL, meshAddrs, meshTarget) {
						add(owner, rr)
					}
				}
			}
		})
	}
	for _, s := range sources {
		problems = append(problems, s(src, v, func(c Claim) { add(c.Owner.String(), c.RR) })...)
	}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		kept, msg := resolve(name, byName[name], inFile[name])
		rrs = append(rrs, kept...)
		if msg != "" {
			problems = append(problems, msg)
		}
	}
	return rrs, problems
}

// resolve decides what one name serves when several objects claim it: their addresses
// together (reported), but never a CNAME beside other data (RFC 1034 §3.6.2). A name the
// file holds is the file's: an object cannot add to it or take it over. Addresses win over
// an object's CNAME, and of several CNAMEs the first owner in name order wins.
func resolve(name string, claims []claim, inFile bool) ([]dns.RR, string) {
	slices.SortStableFunc(claims, func(a, b claim) int { return strings.Compare(a.owner, b.owner) })
	owners := []string{}
	for _, c := range claims {
		if !slices.Contains(owners, c.owner) {
			owners = append(owners, c.owner)
		}
	}
	if inFile {
		return nil, fmt.Sprintf("%s is in the zone file, whose records win: ignoring it for %s", name, strings.Join(owners, ", "))
	}
	var cnames, others []claim
	for _, c := range claims {
		if _, ok := c.rr.(*dns.CNAME); ok {
			cnames = append(cnames, c)
		} else {
			others = append(others, c)
		}
	}
	var out []dns.RR
	switch {
	case len(others) > 0:
		for _, c := range others {
			if !slices.ContainsFunc(out, func(rr dns.RR) bool { return dns.IsDuplicate(rr, c.rr) }) {
				out = append(out, c.rr)
			}
		}
	default:
		out = []dns.RR{cnames[0].rr}
	}
	if len(owners) > 1 {
		return out, fmt.Sprintf("%s is claimed by %s: serving %d records", name, strings.Join(owners, ", "), len(out))
	}
	return out, ""
}

// serviceNames are the names of an exported Service in zone: SERVICE.NAMESPACE.ZONE and
// every annotated hostname inside the zone.
func serviceNames(s *model.Service, zone string) []string {
	names := []string{strings.ToLower(s.Name+"."+s.Namespace) + "." + zone}
	for _, h := range s.Exposure.Hostnames {
		if dns.IsSubDomain(zone, h) && h != zone && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return names
}

func addressRecords(name string, ttl uint32, addrs []netip.Addr, target string) []dns.RR {
	hdr := dns.RR_Header{Name: name, Class: dns.ClassINET, Ttl: ttl}
	if len(addrs) == 0 {
		if target == "" {
			return nil
		}
		hdr.Rrtype = dns.TypeCNAME
		return []dns.RR{&dns.CNAME{Hdr: hdr, Target: target}}
	}
	out := make([]dns.RR, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, index.AddressRR(hdr, index.IP(a)))
	}
	return out
}

// srvRecords are the SRV records of a Service's named ports under name. The target is the
// name itself, or the load balancer's hostname when name is a CNAME (an SRV target must
// not be an alias, RFC 2782).
func srvRecords(name string, ttl uint32, s *model.Service, target string) []dns.RR {
	if target == "" {
		target = name
	}
	var out []dns.RR
	for _, p := range s.Ports {
		if p.Name == "" || p.Port < 0 {
			continue
		}
		owner := "_" + strings.ToLower(p.Name) + "._" + strings.ToLower(p.Protocol) + "." + name
		out = append(out, &dns.SRV{
			Hdr:  dns.RR_Header{Name: owner, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
			Port: uint16(p.Port), Weight: 100, Target: target, // #nosec G115 -- ports are 1-65535
		})
	}
	return out
}

// PTRs returns the PTR records, inside the reverse zone, of the addresses among rrs.
func PTRs(reverseZone string, ttl uint32, rrs []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		var ip string
		switch r := rr.(type) {
		case *dns.A:
			ip = r.A.String()
		case *dns.AAAA:
			ip = r.AAAA.String()
		default:
			continue
		}
		rev, err := dns.ReverseAddr(ip)
		if err != nil || !dns.IsSubDomain(reverseZone, rev) {
			continue
		}
		ptr := &dns.PTR{Hdr: dns.RR_Header{Name: rev, Rrtype: dns.TypePTR, Class: dns.ClassINET, Ttl: ttl}, Ptr: rr.Header().Name}
		if !slices.ContainsFunc(out, func(o dns.RR) bool { return dns.IsDuplicate(o, ptr) }) {
			out = append(out, ptr)
		}
	}
	return out
}

func addr(ip []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
