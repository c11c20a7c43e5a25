package peer

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
)

// NodePortRecords is where a peer Service without a load balancer address gets the node
// ports it is reachable at (part 1 of issue 13, the nodeports option): the eligible nodes
// of the peer (v is the peer's Store, which then needs its Nodes) with their addresses.
// Until that function is wired here it is nil and such a Service falls through to its
// endpoints (with the endpoints option).
//
// HOOK: set by the nodeports work after the merge.
var NodePortRecords func(v model.View, svc *model.PeerService, slices []*model.EndpointSlice) []NodeAddr

// NodeAddr is one eligible node of a NodePort Service.
type NodeAddr struct {
	Name string // the node's name
	IP   netip.Addr
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
// address to the additional section.
func (b *builder) srv(name string, port int32, target string, ip netip.Addr) {
	if port <= 0 || port > 65535 {
		return
	}
	n := b.node(name)
	s := index.SRV{Port: uint16(port), Target: target}
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
func (b *builder) port(base string, p model.Port, port int32, target string, ip netip.Addr) {
	b.srv(base, port, target, ip)
	if p.Name == "" {
		return
	}
	proto := "_" + strings.ToLower(p.Protocol) + "." + base
	b.exists(proto)
	b.srv("_"+strings.ToLower(p.Name)+"."+proto, port, target, ip)
}

// weigh sets the SRV weights as CoreDNS does: 100 shared by the records of a name.
func (b *builder) weigh() {
	for _, n := range b.names {
		for i := range n.SRV {
			n.SRV[i].Weight = uint16(max(1, 100/len(n.SRV)))
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
	var nodes []NodeAddr
	if !s.Headless && s.NodePorts && NodePortRecords != nil && !cfg.Local {
		nodes = NodePortRecords(v, s, sl)
	}
	switch {
	case cfg.Local && !s.Headless:
		if len(s.ClusterIPs) == 0 {
			return false
		}
		for _, ip := range s.ClusterIPs {
			b.addr(base, ip)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.Port.Port, target, ip)
			}
		}
	case !s.Headless && len(s.LoadBalancer) > 0:
		for _, ip := range s.LoadBalancer {
			b.addr(base, ip)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.Port.Port, target, ip)
			}
		}
	case len(nodes) > 0:
		for _, n := range nodes {
			b.addr(base, n.IP)
			node := strings.ToLower(n.Name) + "." + cluster + ".nodes" // node names repeat across clusters
			b.addr(node, n.IP)
			for _, p := range s.Ports {
				b.port(base, p.Port, p.NodePort, node+".", n.IP)
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
						b.port(base, p, p.Port, name+".", ip)
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
