package private

import (
	"cmp"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// services is the source of exported Services (`services [annotated|all]`). Each puts
// SERVICE.NAMESPACE.ZONE and its hostname annotations' names in the zone, with SRV records
// for its named ports: its load balancer (or external IPs, or target annotation) for
// peered clients, its ClusterIP for pods (Inside). The internal-hostname annotation's
// names are for pods only.
func services(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if src.Services == ExportNone {
		return nil
	}
	v.ExposedServices(func(s *model.Service) {
		e := s.Exposure
		if e.NodePortsOnly() { // the nodeports source's
			return
		}
		if (src.Services == ExportAnnotated && !e.Annotated) || !src.Namespaces.Allow(s.Namespace) {
			return
		}
		owner := Owner{Kind: "Service", Namespace: s.Namespace, Name: s.Name, Created: e.Created}
		for _, p := range e.Problems {
			problems = append(problems, owner.String()+": "+p)
		}
		ttl := cmp.Or(e.TTL, src.TTL)
		claim := func(audience Audience, rrs []dns.RR) { claimEach(emit, owner, audience, rrs) }
		// only what the zone's view serves is built: zones are rebuilt on every change
		inside := src.Inside && len(s.ClusterIPs) > 0
		for _, name := range serviceNames(s, src.Zone) {
			if inside {
				claim(Inside, addressRecords(name, ttl, s.ClusterIPs, ""))
				claim(Inside, srvRecords(name, ttl, s, ""))
			} else if len(e.Addrs) > 0 || e.Target != "" {
				claim(Outside, addressRecords(name, ttl, e.Addrs, e.Target))
				claim(Outside, srvRecords(name, ttl, s, e.Target))
			}
		}
		for _, name := range e.InternalHostnames {
			if inside && underApex(name, src.Zone) {
				claim(Inside, addressRecords(name, ttl, s.ClusterIPs, ""))
				claim(Inside, srvRecords(name, ttl, s, ""))
			}
		}
	})
	return problems
}

// underApex reports whether name (lowercase) is below zone: the apex is the zone file's.
func underApex(name, zone string) bool { return name != zone && dns.IsSubDomain(zone, name) }

// serviceNames are the names of an exported Service in zone: SERVICE.NAMESPACE.ZONE and
// every annotated hostname inside the zone.
func serviceNames(s *model.Service, zone string) []string {
	names := []string{strings.ToLower(s.Name+"."+s.Namespace) + "." + zone}
	for _, h := range s.Exposure.Hostnames {
		if underApex(h, zone) && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return names
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
