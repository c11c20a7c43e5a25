package peer

import (
	"math"
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
)

// nodePorts returns the nodes a peer's Service without a load balancer address is reached
// at through its node ports (part 1 of issue 13): the nodes the nodeports option of private
// zones would list (private.EligibleNodes: Ready, schedulable, not being deleted, not
// excluded from load balancers, and with externalTrafficPolicy Local only those running a
// ready endpoint, by the node names of the Service's EndpointSlices), each with its
// InternalIP addresses (ExternalIP with external), from the peer's Store v.
func nodePorts(v model.View, s *model.PeerService, external bool) []nodeAddr {
	svc := &model.Service{Meta: model.Meta{Namespace: s.Namespace, Name: s.Name},
		Exposure: &model.Exposure{NodeLocal: s.LocalTraffic}}
	for _, p := range s.Ports {
		if p.NodePort > 0 {
			svc.Exposure.NodePorts = append(svc.Exposure.NodePorts, model.Port{Name: p.Name, Protocol: p.Protocol, Port: p.NodePort})
		}
	}
	if len(svc.Exposure.NodePorts) == 0 {
		return nil
	}
	var out []nodeAddr
	for _, nw := range private.EligibleNodes(v, svc) {
		share := max(1, nw.Weight/private.NodePortWeight)
		for _, ip := range nw.Node.NodeAddrs(external) {
			out = append(out, nodeAddr{Name: nw.Node.Name, IP: ip, Share: share})
		}
	}
	return out
}

// nodeAddr is one eligible node of a NodePort Service.
type nodeAddr struct {
	Name string // the node's name
	IP   netip.Addr
	// Share is the node's shares of the SRV weight: its ready endpoints of the Service
	// with externalTrafficPolicy Local, else 1
	Share uint16
}

// builder collects the records of the names of one zone, relative and without the trailing
// dot, as index.Snapshot.Names holds them.
type builder struct {
	names map[string]*index.Node
}

func newBuilder() *builder { return &builder{names: map[string]*index.Node{"svc": index.Empty}} }

func (b *builder) node(name string) *index.Node {
	n := b.names[name]
	if n == nil || n == index.Empty {
		n = &index.Node{}
		b.names[name] = n
	}
	return n
}

// exists makes a name exist without records (a namespace, an empty non-terminal).
func (b *builder) exists(name string) {
	if b.names[name] == nil {
		b.names[name] = index.Empty
	}
}

func (b *builder) addr(name string, ip netip.Addr) {
	n := b.node(name)
	a := index.IP(ip)
	if ip.Is4() {
		if !slices.ContainsFunc(n.A, a.Equal) {
			n.A = append(n.A, a)
		}
	} else if !slices.ContainsFunc(n.AAAA, a.Equal) {
		n.AAAA = append(n.AAAA, a)
	}
}

// srv adds an SRV record at name for target (relative, with the trailing dot) and target's
// address to the additional section. share is the record's shares of the name's weight
// (see weigh): 1, or a node's ready endpoints with externalTrafficPolicy Local.
func (b *builder) srv(name string, port int32, target string, ip netip.Addr, share uint16) {
	if port <= 0 || port > 65535 {
		return
	}
	n := b.node(name)
	s := index.SRV{Port: uint16(port), Target: target, Weight: max(1, share)} // the share until weigh
	if !slices.ContainsFunc(n.SRV, func(x index.SRV) bool { return x.Port == s.Port && x.Target == s.Target }) {
		n.SRV = append(n.SRV, s)
	}
	a := index.Addr{Target: target, IP: index.IP(ip)}
	if !slices.ContainsFunc(n.Extra, func(x index.Addr) bool { return x.Target == a.Target && x.IP.Equal(a.IP) }) {
		n.Extra = append(n.Extra, a)
	}
}

// port adds the SRV record of a named port, at _name._proto.SERVICE and the Service's own
// name, with _proto.SERVICE as an empty non-terminal.
func (b *builder) port(base string, p model.Port, port int32, target string, ip netip.Addr, share uint16) {
	b.srv(base, port, target, ip, share)
	if p.Name == "" {
		return
	}
	proto := "_" + strings.ToLower(p.Protocol) + "." + base
	b.exists(proto)
	b.srv("_"+strings.ToLower(p.Name)+"."+proto, port, target, ip, share)
}

// weigh sets the SRV weights as CoreDNS does, 100 shared by the records of a name, each
// record's part times its shares: a node running two endpoints of a Service with
// externalTrafficPolicy Local gets twice the clients of a node running one, as in the
// nodeports option of private zones.
func (b *builder) weigh() {
	for _, n := range b.names {
		for i := range n.SRV {
			n.SRV[i].Weight = uint16(min(math.MaxUint16, max(1, 100/len(n.SRV))*int(n.SRV[i].Weight))) // #nosec G115 -- bounded by min
		}
	}
}

// service adds the names of one exported Service of a cluster: SERVICE.NAMESPACE.svc with
// the addresses reachable from here (for the local cluster its ClusterIPs), SRV records, and for endpoints their names
// HOSTNAME.CLUSTER.SERVICE.NAMESPACE.svc.
func (b *builder) service(cfg *Config, v model.View, s *model.PeerService, sl []*model.EndpointSlice) (reachable bool) {
	base := strings.ToLower(s.Name + "." + s.Namespace + ".svc")
	target := base + "."
	cluster := cfg.Name
	var nodes []nodeAddr
	if !s.Headless && s.NodePorts && !cfg.Local && len(s.LoadBalancer) == 0 {
		nodes = nodePorts(v, s, cfg.ExternalIP)
	}
	switch {
	case cfg.Local && !s.Headless:
		if len(s.ClusterIPs) == 0 {
			return false
		}
		for _, ip := range s.ClusterIPs {
			b.addr(base, ip)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.Port.Port, target, ip, 1)
			}
		}
	case !s.Headless && len(s.LoadBalancer) > 0:
		for _, ip := range s.LoadBalancer {
			b.addr(base, ip)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.Port.Port, target, ip, 1)
			}
		}
	case len(nodes) > 0:
		for _, n := range nodes {
			node := strings.ToLower(n.Name) + "." + cluster + ".nodes" // node names repeat across clusters
			if !model.ValidHost(node+".", false) {                     // node names are DNS subdomains: nearly never
				continue
			}
			b.exists(cluster + ".nodes")
			b.exists("nodes")
			b.addr(base, n.IP)
			b.addr(node, n.IP)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.NodePort, node+".", n.IP, n.Share)
			}
		}
	case cfg.Endpoints:
		for _, x := range sl {
			for _, e := range x.Endpoints {
				for _, ip := range e.Addresses {
					label := e.Hostname
					if label == "" {
						label = index.EndpointLabel(ip)
					}
					name := label + "." + cluster + "." + base
					b.exists(cluster + "." + base)
					b.addr(name, ip)
					b.addr(base, ip)
					for _, p := range x.Ports {
						b.port(base, p, p.Port, name+".", ip, 1)
					}
				}
			}
		}
	default:
		return false
	}
	b.exists(strings.ToLower(s.Namespace) + ".svc")
	return true
}
