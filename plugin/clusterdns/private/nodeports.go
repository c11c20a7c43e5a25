package private

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// NodeAddress says which address of a node NodePort records give (`nodeports [InternalIP|ExternalIP]`).
type NodeAddress uint8

const (
	NodePortsOff NodeAddress = iota
	NodeInternalIP
	NodeExternalIP
)

// nodesLabel is the label under the zone where node names live: NODE.nodes.ZONE.
const nodesLabel = "nodes"

// NodePortWeight is the SRV weight of a node: equal for every node of a Service with
// externalTrafficPolicy Cluster (kube-proxy spreads the traffic over all endpoints from any
// node), times the node's ready endpoints with Local (a node passes its traffic to its own
// endpoints only, so a node with two pods should get twice the clients).
const NodePortWeight = 100

// nodePorts is the source of the nodeports option. Where no cloud load balancer exists, a
// NodePort Service is reached at NODE:NODEPORT; the zone tells clients the nodes and the
// ports. For each exported Service with node ports that the services source does not answer
// with a load balancer address in this zone (see nodePortExported), it puts at
// SERVICE.NAMESPACE.ZONE (and its hostname annotations' names in the zone) the addresses of
// the eligible nodes, and an SRV record per named port and eligible node targeting
// NODE.nodes.ZONE; every eligible node's name holds its addresses. Pods in a zone with
// inside get the ClusterIP and the service ports instead, as from the services source.
func nodePorts(src *Sources, v model.View, emit func(Claim)) (problems []string) {
	if src.NodePorts == NodePortsOff {
		return nil
	}
	nodes := nodesLabel + "." + src.Zone
	v.Nodes(func(n *model.Node) {
		if !n.Eligible() {
			return
		}
		name, ok := nodeName(n.Name, nodes)
		if !ok {
			problems = append(problems, fmt.Sprintf("Node %s: %s is not a valid host name: its NodePort records are not served", n.Name, name))
			return
		}
		owner := Owner{Kind: "Node", Name: n.Name, Created: n.Created}
		claimEach(emit, owner, Everyone, addressRecords(name, src.TTL, n.NodeAddrs(src.NodePorts == NodeExternalIP), ""))
	})
	v.ExposedServices(func(s *model.Service) {
		if !nodePortExported(src, s) {
			return
		}
		e := s.Exposure
		owner := Owner{Kind: "Service", Namespace: s.Namespace, Name: s.Name, Created: e.Created}
		ttl := cmp.Or(e.TTL, src.TTL)
		for _, name := range serviceNames(s, src.Zone) {
			if src.Inside && len(s.ClusterIPs) > 0 {
				claimEach(emit, owner, Inside, addressRecords(name, ttl, s.ClusterIPs, ""))
				claimEach(emit, owner, Inside, srvRecords(name, ttl, s, ""))
				continue
			}
			addrs, srvs, _ := NodePortRecords(v, s, name, nodes, src.NodePorts, ttl)
			claimEach(emit, owner, Outside, addrs)
			claimEach(emit, owner, Outside, srvs)
		}
	})
	return problems
}

// nodePortExported reports whether the zone serves s by its node ports: it has some, it is
// exported (annotated, or every Service with `services all`), and the services source does
// not answer it with its load balancer's address here (an address of its own beats the
// nodes').
func nodePortExported(src *Sources, s *model.Service) bool {
	e := s.Exposure
	switch {
	case len(e.NodePorts) == 0 || !src.Namespaces.Allow(s.Namespace):
		return false
	case src.Services != ExportAll && !e.Annotated:
		return false
	default:
		return src.Services == ExportNone || !e.HasAddress()
	}
}

// nodeName returns NODE.nodes (lowercase), and whether it is a valid host name: node names
// are DNS subdomains, so nearly always.
func nodeName(node, nodes string) (string, bool) {
	name := strings.ToLower(node) + "." + nodes
	return name, model.ValidHost(name, false)
}

// NodeWeight is a node NodePort traffic of a Service may go to, with its SRV weight.
type NodeWeight struct {
	Node   *model.Node
	Weight uint16
}

// EligibleNodes returns the nodes that take the NodePort traffic of s, by name: the eligible
// ones (model.Node.Eligible) and, with externalTrafficPolicy Local, only those running a
// ready endpoint of s (which needs the EndpointSlices' node names: model.WithNodeNames).
func EligibleNodes(v model.View, s *model.Service) []NodeWeight {
	var local map[string]int
	if s.Exposure != nil && s.Exposure.NodeLocal {
		local = map[string]int{}
		for _, sl := range v.Slices(model.Key{Namespace: s.Namespace, Name: s.Name}) {
			for _, n := range sl.NodeNames {
				local[n]++
			}
		}
	}
	var out []NodeWeight
	v.Nodes(func(n *model.Node) {
		if !n.Eligible() {
			return
		}
		w := NodePortWeight
		if local != nil {
			w *= local[strings.ToLower(n.Name)]
		}
		if w > 0 {
			out = append(out, NodeWeight{n, uint16(min(w, math.MaxUint16))}) // #nosec G115 -- bounded by min
		}
	})
	slices.SortFunc(out, func(a, b NodeWeight) int { return strings.Compare(a.Node.Name, b.Node.Name) })
	return out
}

// NodePortRecords returns the records that lead clients to Service s through its node ports
// (s from the Store v reads; a peer cluster's Service with its peer's View works the same):
//   - addrs: name's A/AAAA records, the addresses (of the type use says) of the nodes
//     EligibleNodes picks;
//   - srvs: _PORT._PROTO.name SRV 0 WEIGHT NODEPORT NODE.nodes, per named node port and node;
//   - nodeRRs: NODE.nodes A/AAAA for those nodes, the Additional section of the SRV answers.
//
// nodes is the domain node names live under (lowercase, fully qualified: nodes.ZONE.). It
// returns nothing for a Service without node ports or without eligible nodes, and skips a
// node whose name does not make a valid host name under nodes.
func NodePortRecords(v model.View, s *model.Service, name, nodes string, use NodeAddress, ttl uint32) (addrs, srvs, nodeRRs []dns.RR) {
	if s.Exposure == nil || len(s.Exposure.NodePorts) == 0 || use == NodePortsOff {
		return nil, nil, nil
	}
	var ips []netip.Addr
	for _, nw := range EligibleNodes(v, s) {
		target, ok := nodeName(nw.Node.Name, nodes)
		nodeIPs := nw.Node.NodeAddrs(use == NodeExternalIP)
		if !ok || len(nodeIPs) == 0 {
			continue
		}
		for _, ip := range nodeIPs {
			if !slices.Contains(ips, ip) {
				ips = append(ips, ip)
			}
		}
		nodeRRs = append(nodeRRs, addressRecords(target, ttl, nodeIPs, "")...)
		for _, p := range s.Exposure.NodePorts {
			if p.Name == "" {
				continue
			}
			srvs = append(srvs, &dns.SRV{
				Hdr:  dns.RR_Header{Name: "_" + strings.ToLower(p.Name) + "._" + strings.ToLower(p.Protocol) + "." + name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
				Port: uint16(p.Port), Weight: nw.Weight, Target: target, // #nosec G115 -- node ports are 1-65535
			})
		}
	}
	return addressRecords(name, ttl, ips, ""), srvs, nodeRRs
}

// nodeExtra returns the Additional section of an answer in a zone with nodeports: the
// addresses of its SRV records' targets in the zone, so a client gets the nodes with the
// ports in one answer. The zone engine leaves it out (BIND's minimal-responses) for the
// zones of other options, which keep their answers as they were.
func (z *Zone) nodeExtra(answer []dns.RR) []dns.RR {
	if z.cfg.NodePorts == NodePortsOff {
		return nil
	}
	var extra []dns.RR
	var seen []string
	cur := z.Current()
	for _, rr := range answer {
		srv, ok := rr.(*dns.SRV)
		if !ok || slices.Contains(seen, srv.Target) || !dns.IsSubDomain(z.cfg.Zone, strings.ToLower(srv.Target)) {
			continue
		}
		seen = append(seen, srv.Target)
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
			if r := cur.Lookup(srv.Target, qt); r.Rcode == dns.RcodeSuccess {
				for _, a := range r.Answer {
					if a.Header().Rrtype == qt {
						extra = append(extra, a)
					}
				}
			}
		}
	}
	return extra
}
