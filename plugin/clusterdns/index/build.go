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

// svcEntry answers the names below a Service's name from the (immutable) model objects,
// when they are asked: keeping a Node per _port._proto and endpoint name would cost more
// memory than every other part of the index.
type svcEntry struct {
	Name   string // relative, without the trailing dot: "web.default.svc"
	opts   *Config
	svc    *model.Service
	slices []*model.EndpointSlice // by name
	// idx is set for a headless or a large Service only: behind a pointer, an entry is 64
	// bytes, not 80. The Node of Name is not kept here either: queries come from it.
	idx *entryIndex
}

// entryIndex holds what a svcEntry precomputes for the names below a large or headless
// Service.
type entryIndex struct {
	// ports holds the _name._proto Nodes of a headless Service, by "name.proto" in lowercase:
	// asked often (SRV) and costly to compute for a large StatefulSet.
	ports map[string]*Node
	// labels holds the records of each endpoint name of a Service with many endpoints, so a
	// query does not scan them all.
	labels map[string][]record
}

// manyEndpoints is the number of addresses above which a Service indexes its endpoint names.
const manyEndpoints = 32

// record is one (address, port) pair a name resolves to, before deduplication; the SRV
// weights depend on how many there were, as in CoreDNS's plugin.SRV.
type record struct {
	ip     netip.Addr
	port   int32
	target string // relative SRV target with trailing dot
}

var noPort = []model.Port{{Port: -1}}

func portsOr(p []model.Port) []model.Port {
	if len(p) == 0 {
		return noPort
	}
	return p
}

// newService returns the Node of a Service's own name, or nil when the name does not exist
// (a headless Service without endpoints, an ExternalName that is an IP).
func newService(svc *model.Service, sl []*model.EndpointSlice, opts *Config) *Node {
	if svc.ExternalName != "" {
		target := strings.TrimSuffix(svc.ExternalName, ".")
		if _, err := netip.ParseAddr(target); err == nil || target == "" {
			return nil // an IP is not a CNAME target; CoreDNS answers NXDOMAIN too
		}
		return &Node{Rare: &Rare{CNAME: dns.Fqdn(svc.ExternalName)}}
	}
	// One string for the name and the SRV target of its records, one per endpoint for its
	// records' targets: with 50,000 Services every copy of a name is a megabyte or two.
	self := svc.Name + "." + svc.Namespace + ".svc."
	name := self[:len(self)-1]
	s := &svcEntry{Name: name, opts: opts, svc: svc, slices: slices.Clone(sl)}
	var rs []record
	addrs := 0
	s.endpoints(func(label string, ip netip.Addr, ports []model.Port) {
		addrs++
		if svc.Headless {
			target := label + "." + self
			for _, p := range ports {
				rs = append(rs, record{ip, p.Port, target})
			}
		}
	})
	if svc.Headless && len(rs) == 0 {
		return nil
	}
	if !svc.Headless {
		for _, p := range portsOr(svc.Ports) {
			for _, ip := range svc.ClusterIPs {
				rs = append(rs, record{ip, p.Port, self})
			}
		}
	}
	n := nodeOf(rs, true) // no records: the name exists without addresses, as CoreDNS answers it
	n.entry = s
	if svc.Headless || addrs > manyEndpoints {
		s.idx = &entryIndex{}
	}
	if svc.Headless {
		s.indexPorts(n, rs)
	}
	if addrs > manyEndpoints {
		s.indexLabels()
	}
	return n
}

// empty reports whether the Service has no served endpoint address.
func (s *svcEntry) empty() bool {
	for _, sl := range s.slices {
		for _, e := range sl.Endpoints {
			if len(e.Addresses) > 0 {
				return false
			}
		}
	}
	return true
}

// indexPorts builds the _name._proto Nodes of a headless Service. The records of a port
// name are those of the Service name when every port has that name, the usual case: the
// Node is then shared.
func (s *svcEntry) indexPorts(self *Node, all []record) {
	groups := map[string][]record{}
	s.endpoints(func(label string, ip netip.Addr, ports []model.Port) {
		for _, p := range ports {
			if p.Name != "" {
				k := strings.ToLower(p.Name) + "." + strings.ToLower(p.Protocol)
				groups[k] = append(groups[k], record{ip, p.Port, label + "." + s.Name + "."})
			}
		}
	})
	s.idx.ports = make(map[string]*Node, len(groups))
	for k, rs := range groups {
		if len(rs) == len(all) {
			s.idx.ports[k] = self
		} else {
			s.idx.ports[k] = nodeOf(rs, true)
		}
	}
}

// indexLabels groups the endpoint records of a large Service by endpoint name.
func (s *svcEntry) indexLabels() {
	labels := map[string][]record{}
	s.endpoints(func(label string, ip netip.Addr, ports []model.Port) {
		target := label + "." + s.Name + "."
		for _, p := range ports {
			labels[label] = append(labels[label], record{ip, p.Port, target})
		}
	})
	s.idx.labels = labels
}

// endpoints calls fn for every served address with its endpoint label and its slice's ports.
func (s *svcEntry) endpoints(fn func(label string, ip netip.Addr, ports []model.Port)) {
	var buf [64]byte
	for _, sl := range s.slices {
		ports := portsOr(sl.Ports)
		for i := range sl.Endpoints {
			e := &sl.Endpoints[i]
			for _, ip := range e.Addresses {
				fn(s.endpointLabel(&buf, e, ip, sl.Cluster), ip, ports)
			}
		}
	}
}

// zonal returns the Node of the Service's zone-scoped name for zone: its endpoints in that
// zone, with prefer all of them when none is; no records (NODATA) otherwise. Endpoints
// without a zone are in none.
func (s *svcEntry) zonal(zone string, prefer bool) *Node {
	var in, all []record
	var buf [64]byte
	for _, sl := range s.slices {
		ports := portsOr(sl.Ports)
		for i := range sl.Endpoints {
			e := &sl.Endpoints[i]
			for _, ip := range e.Addresses {
				target := s.endpointLabel(&buf, e, ip, sl.Cluster) + "." + s.Name + "."
				for _, p := range ports {
					r := record{ip, p.Port, target}
					all = append(all, r)
					if z := e.Zone(); z != "" && z == zone {
						in = append(in, r)
					}
				}
			}
		}
	}
	if len(in) == 0 && prefer {
		in = all
	}
	return nodeOf(in, false)
}

// sliceEndpoints calls fn for every endpoint address of the slices that hold ip: the
// kubernetes plugin names them all in the NS records of a headless cluster DNS Service.
func (s *svcEntry) sliceEndpoints(ip netip.Addr, fn func(label string, ip netip.Addr)) {
	var buf [64]byte
	for _, sl := range s.slices {
		if !slices.ContainsFunc(sl.Endpoints, func(e model.Endpoint) bool { return slices.Contains(e.Addresses, ip) }) {
			continue
		}
		for i := range sl.Endpoints {
			e := &sl.Endpoints[i]
			for _, a := range e.Addresses {
				fn(s.endpointLabel(&buf, e, a, sl.Cluster), a)
			}
		}
	}
}

// endpointLabel returns the name of an endpoint's address below its Service: its own name
// (see name), else one made from the address; followed by the source cluster for an
// imported endpoint (KEP-1645: hostname.clusterid.service.namespace.svc.ZONE). Answers and
// transfers (xfr.go) both take it from here.
func (s *svcEntry) endpointLabel(buf *[64]byte, e *model.Endpoint, ip netip.Addr, cluster string) string {
	n := s.name(e)
	if n == "" {
		n = string(appendLabel(buf[:0], ip))
	}
	if cluster != "" {
		return n + "." + cluster
	}
	return n
}

// name is an endpoint's own name, as the kubernetes plugin's endpointHostname: its hostname,
// else with endpoint_pod_names its pod's name; "" when its address names it.
func (s *svcEntry) name(e *model.Endpoint) string {
	if e.Hostname == "" && s.opts.EndpointPodNames {
		return e.Pod()
	}
	return e.Hostname
}

// below answers the name one label below the Service: an endpoint, or _proto, which is an
// empty non-terminal (NODATA, RFC 8020) when a named port has that protocol.
func (s *svcEntry) below(label string) *Node {
	if strings.HasPrefix(label, "_") {
		if s.hasProtocol(label[1:]) {
			return Empty
		}
		return nil
	}
	if s.idx != nil && s.idx.labels != nil {
		if rs := s.idx.labels[label]; len(rs) > 0 {
			return nodeOf(rs, false)
		}
		return nil
	}
	var rs []record
	var buf [64]byte
	target := ""
	for _, sl := range s.slices {
		want := label // the endpoint's own label: without the cluster of an imported slice
		if c := sl.Cluster; c != "" {
			n := len(label) - len(c) - 1 // no concatenation: this runs per query
			if n <= 0 || label[n] != '.' || label[n+1:] != c {
				continue
			}
			want = label[:n]
		}
		for i := range sl.Endpoints {
			e := &sl.Endpoints[i]
			for _, ip := range e.Addresses {
				if n := s.name(e); n != want && (n != "" || string(appendLabel(buf[:0], ip)) != want) {
					continue
				}
				if target == "" {
					target = label + "." + s.Name + "."
				}
				for _, p := range portsOr(sl.Ports) {
					rs = append(rs, record{ip, p.Port, target})
				}
			}
		}
	}
	if len(rs) == 0 {
		return nil
	}
	return nodeOf(rs, false)
}

// port answers _name._proto below the Service: its ClusterIPs with that port, or for a
// headless Service every endpoint of a slice with that port.
func (s *svcEntry) port(self *Node, name, proto string) *Node {
	if name == "" {
		return nil
	}
	if !s.svc.Headless {
		return s.clusterIPPort(self, name, proto)
	}
	if s.idx == nil {
		return nil
	}
	var buf [128]byte
	key := append(append(append(buf[:0], name...), '.'), proto...)
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			key[i] = c + 'a' - 'A'
		}
	}
	return s.idx.ports[string(key)] // no allocation: a map index converts on the stack
}

// clusterIPPort answers _name._proto below a ClusterIP Service from its own Node (base): the same
// addresses and additional records, an SRV record for each port of that name.
func (s *svcEntry) clusterIPPort(base *Node, name, proto string) *Node {
	ips := len(base.A) + len(base.AAAA)
	if ips == 0 || len(base.SRV) == 0 {
		return nil
	}
	target := base.SRV[0].Target // the Service's own name: every SRV target of a ClusterIP Service
	var srv []SRV
	matches := 0
	for _, p := range s.svc.Ports {
		if p.Port < 0 || !strings.EqualFold(p.Name, name) || !strings.EqualFold(p.Protocol, proto) {
			continue
		}
		matches++
		if !slices.ContainsFunc(srv, func(r SRV) bool { return int32(r.Port) == p.Port }) {
			srv = append(srv, SRV{Port: uint16(p.Port), Target: target})
		}
	}
	if len(srv) == 0 {
		return nil
	}
	weight := uint16(max(1, 100/(matches*ips))) // as nodeOf: 100 over the records before deduplication
	for i := range srv {
		srv[i].Weight = weight
	}
	return &Node{A: base.A, AAAA: base.AAAA, SRV: srv, Extra: base.Extra}
}

func (s *svcEntry) hasProtocol(proto string) bool {
	named := func(ports []model.Port) bool {
		return slices.ContainsFunc(ports, func(p model.Port) bool {
			return p.Name != "" && strings.EqualFold(p.Protocol, proto)
		})
	}
	if !s.svc.Headless {
		return len(s.svc.ClusterIPs) > 0 && named(s.svc.Ports)
	}
	for _, sl := range s.slices {
		if len(sl.Endpoints) > 0 && named(sl.Ports) {
			return true
		}
	}
	return false
}

// addresses calls fn for every address the Service claims: its ClusterIPs (ep nil) and
// its endpoints' addresses.
func (s *svcEntry) addresses(fn func(ip netip.Addr, ep *model.Endpoint)) {
	for _, ip := range s.svc.ClusterIPs {
		fn(ip, nil)
	}
	for _, sl := range s.slices {
		for i := range sl.Endpoints {
			e := &sl.Endpoints[i]
			for _, ip := range e.Addresses {
				fn(ip, e)
			}
		}
	}
}

// appendLabel appends an endpoint's label made from its address, as CoreDNS's
// endpointHostname: dots or colons become dashes, and a trailing dash gets a 0.
func appendLabel(dst []byte, ip netip.Addr) []byte {
	start := len(dst)
	dst = ip.AppendTo(dst)
	for i := start; i < len(dst); i++ {
		if dst[i] == '.' || dst[i] == ':' {
			dst[i] = '-'
		}
	}
	if dst[len(dst)-1] == '-' {
		dst = append(dst, '0')
	}
	return dst
}

// nodeOf turns the records of a name into a Node, with CoreDNS's deduplication and SRV
// weights. Stored Nodes get exact-size slices: they live until their Service changes.
func nodeOf(rs []record, stored bool) *Node {
	n := &Node{}
	if len(rs) == 0 {
		return n
	}
	weight := uint16(100 / len(rs))
	if weight == 0 {
		weight = 1
	}
	var d *dedup
	if len(rs) > smallNode {
		d = newDedup(len(rs))
	}
	for _, r := range rs {
		ip, first := n.ip(d, r.ip)
		if first {
			if r.ip.Is4() {
				n.A = append(n.A, ip)
			} else {
				n.AAAA = append(n.AAAA, ip)
			}
		}
		if r.port < 0 {
			continue
		}
		if n.newSRV(d, r.target, r.port) {
			n.SRV = append(n.SRV, SRV{Port: uint16(r.port), Weight: weight, Target: r.target})
		}
		if n.newExtra(d, r.target, ip) {
			n.Extra = append(n.Extra, Addr{r.target, ip})
		}
	}
	if stored {
		n.A, n.AAAA, n.SRV, n.Extra = clone(n.A), clone(n.AAAA), clone(n.SRV), clone(n.Extra)
	}
	return n
}

// smallNode is the number of records up to which nodeOf deduplicates by scanning what it
// built so far, which is faster than maps and allocates nothing.
const smallNode = 16

// dedup remembers what a large Node already holds.
type dedup struct {
	ips    map[netip.Addr]net.IP
	srvs   map[srvKey]bool
	extras map[extraKey]bool
}

type srvKey struct {
	target string
	port   int32
}

type extraKey struct {
	target string
	ip     string // net.IP bytes
}

func newDedup(n int) *dedup {
	return &dedup{ips: make(map[netip.Addr]net.IP, n), srvs: make(map[srvKey]bool, n), extras: make(map[extraKey]bool, n)}
}

// ip returns the one net.IP of an address in n (shared by A/AAAA and Extra), and whether
// it is new.
func (n *Node) ip(d *dedup, a netip.Addr) (net.IP, bool) {
	if d != nil {
		if ip := d.ips[a]; ip != nil {
			return ip, false
		}
		ip := IP(a)
		d.ips[a] = ip
		return ip, true
	}
	ip := IP(a)
	for _, have := range n.A {
		if have.Equal(ip) {
			return have, false
		}
	}
	for _, have := range n.AAAA {
		if have.Equal(ip) {
			return have, false
		}
	}
	return ip, true
}

func (n *Node) newSRV(d *dedup, target string, port int32) bool {
	if d != nil {
		k := srvKey{target, port}
		if d.srvs[k] {
			return false
		}
		d.srvs[k] = true
		return true
	}
	return !slices.ContainsFunc(n.SRV, func(s SRV) bool { return s.Target == target && int32(s.Port) == port })
}

func (n *Node) newExtra(d *dedup, target string, ip net.IP) bool {
	if d != nil {
		k := extraKey{target, string(ip)}
		if d.extras[k] {
			return false
		}
		d.extras[k] = true
		return true
	}
	return !slices.ContainsFunc(n.Extra, func(a Addr) bool { return a.Target == target && a.IP.Equal(ip) })
}

func clone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// IP converts an address to the net.IP miekg/dns records carry: 4 bytes for IPv4.
func IP(a netip.Addr) net.IP { return a.AsSlice() }
