package index

import (
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// DNSSchemaVersion is the version of the Kubernetes DNS specification served at dns-version.ZONE.
const DNSSchemaVersion = "1.1.0"

// record is one (address, port) pair a name resolves to, before deduplication; the SRV
// weights depend on how many there were, as in CoreDNS's plugin.SRV.
type record struct {
	ip     netip.Addr
	port   int32
	target string // relative SRV target with trailing dot
}

// names collects the Nodes of one Service while it is built.
type names map[string][]record

func (n names) add(name string, r record) { n[name] = append(n[name], r) }

// serviceNames computes every name of one Service: the service name, _port._proto names,
// endpoint names, and the empty non-terminals between them. ptr receives the reverse
// targets of its addresses; clusterIP tells which addresses are the service's own.
func serviceNames(svc *model.Service, sl map[string]*model.EndpointSlice, primaryZone string,
	ptr func(ip netip.Addr, target string, clusterIP bool)) map[string]*Node {
	base := svc.Name + "." + svc.Namespace + ".svc"
	out := map[string]*Node{}
	if svc.ExternalName != "" {
		target := strings.TrimSuffix(svc.ExternalName, ".")
		if _, err := netip.ParseAddr(target); err == nil || target == "" {
			return out // an IP is not a CNAME target; CoreDNS answers NXDOMAIN too
		}
		out[base] = &Node{Rare: &Rare{CNAME: dns.Fqdn(svc.ExternalName)}}
		return out
	}
	ports := svc.Ports
	if len(ports) == 0 {
		ports = []model.Port{{Port: -1}}
	}
	recs := names{}
	baseTarget := base + "."
	if !svc.Headless {
		for _, p := range ports {
			for _, ip := range svc.ClusterIPs {
				r := record{ip: ip, port: p.Port, target: baseTarget}
				recs.add(base, r)
				if p.Name != "" {
					recs.add(portName(p, base), r)
				}
			}
		}
		for _, ip := range svc.ClusterIPs {
			ptr(ip, baseTarget+primaryZone, true)
		}
		if len(svc.ClusterIPs) == 0 {
			out[base] = Empty // exists with no address, as CoreDNS answers it
		}
	}
	for _, name := range sortedKeys(sl) {
		s := sl[name]
		eports := s.Ports
		if len(eports) == 0 {
			eports = []model.Port{{Port: -1}}
		}
		for _, e := range s.Endpoints {
			for _, ip := range e.Addresses {
				target := endpointHostname(e.Hostname, ip) + "." + base + "."
				ename := target[:len(target)-1] // the key shares the target's bytes
				ptr(ip, target+primaryZone, false)
				for _, p := range eports {
					r := record{ip: ip, port: p.Port, target: target}
					recs.add(ename, r)
					if svc.Headless {
						recs.add(base, r)
						if p.Name != "" {
							recs.add(portName(p, base), r)
						}
					}
				}
			}
		}
	}
	for name, rs := range recs {
		out[name] = nodeOf(rs) // the key of a name is its SRV target without the dot, or base
		if strings.HasPrefix(name, "_") {
			// _proto.base is an empty non-terminal: it exists, so it answers NODATA (RFC 8020)
			ent := name[strings.IndexByte(name, '.')+1:]
			if out[ent] == nil {
				out[ent] = Empty
			}
		}
	}
	return out
}

// portName is the _port._proto name of a port under base, lowercased.
func portName(p model.Port, base string) string {
	return "_" + strings.ToLower(p.Name) + "._" + strings.ToLower(p.Protocol) + "." + base
}

// endpointHostname names an endpoint as CoreDNS does: its hostname, else its IP with dashes.
func endpointHostname(hostname string, ip netip.Addr) string {
	if hostname != "" {
		return hostname
	}
	if ip.Is4() {
		return strings.ReplaceAll(ip.String(), ".", "-")
	}
	h := strings.ReplaceAll(ip.String(), ":", "-")
	if strings.HasSuffix(h, "-") {
		h += "0"
	}
	return h
}

// nodeOf turns the records of a name into a Node, with CoreDNS's deduplication and SRV weights.
func nodeOf(rs []record) *Node {
	n := &Node{}
	weight := uint16(100 / len(rs))
	if weight == 0 {
		weight = 1
	}
	type srvKey struct {
		target string
		port   int32
	}
	seenIP := map[netip.Addr]net.IP{} // one net.IP per address, shared by A/AAAA and Extra
	seenSRV := map[srvKey]bool{}
	type extraKey struct {
		target string
		ip     netip.Addr
	}
	seenExtra := map[extraKey]bool{}
	for _, r := range rs {
		ip := seenIP[r.ip]
		if ip == nil {
			ip = IP(r.ip)
			seenIP[r.ip] = ip
			if r.ip.Is4() {
				n.A = append(n.A, ip)
			} else {
				n.AAAA = append(n.AAAA, ip)
			}
		}
		if r.port < 0 {
			continue
		}
		if k := (srvKey{r.target, r.port}); !seenSRV[k] {
			seenSRV[k] = true
			n.SRV = append(n.SRV, SRV{Port: uint16(r.port), Weight: weight, Target: r.target})
		}
		if k := (extraKey{r.target, r.ip}); !seenExtra[k] {
			seenExtra[k] = true
			n.Extra = append(n.Extra, Addr{r.target, ip})
		}
	}
	// exact sizes: a node lives until its service changes
	n.A, n.AAAA, n.SRV, n.Extra = clone(n.A), clone(n.AAAA), clone(n.SRV), clone(n.Extra)
	return n
}

func clone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// IP converts an address to the net.IP miekg/dns records carry: 4 bytes for IPv4.
func IP(a netip.Addr) net.IP {
	if a.Is4() {
		b := a.As4()
		return net.IP(b[:])
	}
	b := a.As16()
	return net.IP(b[:])
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
