// Package private serves private zones: what Kubernetes objects put into a zone merged with
// the zone's file (Records, Zone), its queries (ServeDNS) and its grammar (ParseBlock).
//
// Each kind of object is a source in a file of its own (services.go, ingress.go, mesh.go,
// ...), listed in sources: it emits claims, one per record, naming their owner and
// audience (claim.go). Records weighs the claims on each name (resolve): the zone file's
// names are the file's, then the oldest claimant wins unless the zone merges claims; a zone
// with inside serves pods' (Inside) claims in place of peered clients' (Outside) ones.
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
	"cmp"
	"fmt"
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

// ClaimRule says who owns a name that several objects claim.
type ClaimRule uint8

const (
	// ClaimsOldest gives a name to its oldest claimant: a tenant cannot take over, or add
	// itself to, a name another namespace published first.
	ClaimsOldest ClaimRule = iota
	// ClaimsMerge serves every claimant's addresses (blue/green behind one name).
	ClaimsMerge
)

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
	// Claims decides between objects claiming one name.
	Claims ClaimRule
	// Inside makes the zone answer in-cluster clients (a pods' block): Inside claims, such
	// as an exported Service's ClusterIP, instead of the Outside ones (its load balancer).
	Inside bool

	// wildcard holds the file's wildcard addresses while Records runs: mesh hosts take
	// them when there are any.
	wildcard []netip.Addr

	// the istio and knative options
	Istio        bool
	Knative      model.Key // the Knative gateway Service; no Name without the knative option
	KnativeLocal model.Key // the gateway Service for in-cluster clients, when not Knative's

	// Gateways reads the Gateway API: the hostnames routes attach to Gateways (of these
	// GatewayClasses only, named or by controllerName, when any are listed).
	Gateways       bool
	GatewayClasses []string

	DNSEndpoints bool // external-dns DNSEndpoint records (dnsendpoint.go)

	// the nodeports option: which node address NodePort records give (NodePortsOff: none)
	NodePorts NodeAddress
}

// Needs reports whether the zone reads anything from the cluster.
func (s *Sources) Needs() bool {
	return s.Services != ExportNone || s.Ingresses || s.Mesh ||
		s.Istio || s.Knative.Name != "" || s.Gateways || s.DNSEndpoints ||
		s.NodePorts != NodePortsOff
}

// sources are the kinds of objects that put names in private zones, each in a file of its own.
var sources = []source{services, ingresses, mesh, istioSource, knativeSource, gatewayRoutes, dnsEndpoints, nodePorts}

// Records returns the records the cluster gives the zone, given the records of its file.
// Problems (names claimed by several objects, names the file already holds, unusable
// objects) are resolved as documented and returned as messages to log.
func Records(src *Sources, v model.View, file []dns.RR) (rrs []dns.RR, problems []string) {
	r := records(src, v, file)
	return r.rrs, r.problems
}

// claimedRecords is what the cluster gives a zone, with the number of claims it ignored (metrics).
type claimedRecords struct {
	rrs      []dns.RR
	problems []string
	lost     int
}

func records(src *Sources, v model.View, file []dns.RR) claimedRecords {
	return tracedRecords(src, v, file, nil)
}

// tracedRecords is records that shows trace, when not nil, each name's claims as they are
// weighed (the name, its claims, the messages about those not served): what explain reads.
func tracedRecords(src *Sources, v model.View, file []dns.RR, trace func(at string, group []Claim, msgs []string)) claimedRecords {
	inFile := map[string]bool{}
	s := *src
	s.wildcard = nil
	for _, rr := range file {
		name := strings.ToLower(rr.Header().Name)
		inFile[name] = true
		if name != "*."+src.Zone {
			continue
		}
		switch r := rr.(type) {
		case *dns.A:
			s.wildcard = append(s.wildcard, addr(r.A))
		case *dns.AAAA:
			s.wildcard = append(s.wildcard, addr(r.AAAA))
		}
	}
	var claims []weighed
	var res claimedRecords
	emit := func(c Claim) {
		if c.Audience != Inside || src.Inside { // Inside claims are for zones with inside only
			claims = append(claims, weighed{strings.ToLower(c.RR.Header().Name), len(claims), c})
		}
	}
	for _, source := range sources {
		res.problems = append(res.problems, source(&s, v, emit)...)
	}
	if src.Inside {
		claims = preferInside(claims)
	}
	claimed := make(map[ownerAt]bool, len(claims)) // names owners claim with other than SRV records
	for _, w := range claims {
		if w.c.RR.Header().Rrtype != dns.TypeSRV {
			claimed[ownerAt{w.at, w.c.Owner}] = true
		}
	}
	for i := range claims {
		claims[i].at = weighedAt(claims[i], claimed)
	}
	// one sort groups each name's claims, in name order then as emitted: the same objects
	// give the same records in the same order, and an unchanged zone keeps its serial
	slices.SortFunc(claims, func(a, b weighed) int {
		if c := strings.Compare(a.at, b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i)
	})
	group := make([]Claim, 0, 8)
	for i := 0; i < len(claims); {
		name := claims[i].at
		group = group[:0]
		for ; i < len(claims) && claims[i].at == name; i++ {
			group = append(group, claims[i].c)
		}
		kept, msgs, lost := resolve(name, group, inFile, src.Claims)
		if trace != nil {
			trace(name, group, msgs)
		}
		res.rrs = append(res.rrs, kept...)
		res.problems = append(res.problems, msgs...)
		res.lost += lost
	}
	return res
}

// weighed is a claim with the name it is weighed at (lowercase): its own at first.
type weighed struct {
	at string
	i  int // the order of emission
	c  Claim
}

// preferInside keeps, in a zone with inside, the claims for pods: an owner's Inside claims
// at a name replace its Outside ones there; an owner with none (an Ingress: its
// controller's in-cluster address is unknown) keeps its Outside claims, so pods still get
// an answer. Zones without inside never see Inside claims and keep the Outside ones.
func preferInside(claims []weighed) []weighed {
	hasInside := map[ownerAt]bool{}
	for _, w := range claims {
		if w.c.Audience == Inside {
			hasInside[ownerAt{w.at, w.c.Owner}] = true
		}
	}
	return slices.DeleteFunc(claims, func(w weighed) bool {
		return w.c.Audience == Outside && hasInside[ownerAt{w.at, w.c.Owner}]
	})
}

// ownerAt is an owner's claim on a name.
type ownerAt struct {
	name  string // lowercase
	owner Owner
}

// weighedAt returns the name whose owner a claim is weighed for: its own, except for a
// service record (_port._proto.NAME) of an owner that also claims NAME, which goes with
// NAME: whoever loses a name loses the SRV records describing it.
func weighedAt(w weighed, claimed map[ownerAt]bool) string {
	if w.c.RR.Header().Rrtype != dns.TypeSRV || !strings.HasPrefix(w.at, "_") {
		return w.at
	}
	_, rest, _ := strings.Cut(w.at, ".")
	if !strings.HasPrefix(rest, "_") {
		return w.at
	}
	if _, base, _ := strings.Cut(rest, "."); base != "" && claimed[ownerAt{base, w.c.Owner}] {
		return base
	}
	return w.at
}

// olderOwner orders owners by age: creation time, then kind, namespace and name, so that the
// same objects always give the same owner.
func olderOwner(a, b Owner) int {
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// resolve decides what one name serves when several objects claim it, given the names the
// zone's file holds. A name the file holds is the file's: an object cannot add to it or
// take it over. Otherwise, with ClaimsOldest, the oldest owner's records; with ClaimsMerge,
// every owner's addresses together. Never a CNAME beside other data (RFC 1034 §3.6.2):
// addresses win over a CNAME, and of several CNAMEs the oldest owner's. Each ignored claim
// (one per owner, with the SRV records riding on it) is a message and counts in lost.
func resolve(name string, claims []Claim, inFile map[string]bool, rule ClaimRule) (out []dns.RR, msgs []string, lost int) {
	var owners []Owner
	for _, c := range claims {
		if !slices.Contains(owners, c.Owner) {
			owners = append(owners, c.Owner)
		}
	}
	slices.SortFunc(owners, olderOwner)
	if inFile[name] {
		for _, o := range owners {
			msgs = append(msgs, fmt.Sprintf("%s is in the zone file, whose records win: ignoring %s's claim", name, o))
		}
		return nil, msgs, len(owners)
	}
	// claims at names under name that ride on it (SRV) are the file's when the file holds them
	claims = slices.DeleteFunc(slices.Clone(claims), func(c Claim) bool {
		return inFile[strings.ToLower(c.RR.Header().Name)]
	})
	slices.SortStableFunc(claims, func(a, b Claim) int { return olderOwner(a.Owner, b.Owner) })
	if rule == ClaimsOldest && len(owners) > 1 {
		for _, o := range owners[1:] {
			msgs = append(msgs, fmt.Sprintf("%s belongs to %s, its first claimant: ignoring %s's claim", name, owners[0], o))
		}
		lost = len(owners) - 1
		claims = slices.DeleteFunc(claims, func(c Claim) bool { return c.Owner != owners[0] })
	}
	var cnames, others, riding []Claim
	for _, c := range claims {
		_, cname := c.RR.(*dns.CNAME)
		switch {
		case !strings.EqualFold(c.RR.Header().Name, name):
			riding = append(riding, c)
		case cname:
			cnames = append(cnames, c)
		default:
			others = append(others, c)
		}
	}
	var served []Owner
	keep := func(c Claim) {
		if !slices.ContainsFunc(out, func(rr dns.RR) bool { return dns.IsDuplicate(rr, c.RR) }) {
			out = append(out, c.RR)
		}
		if !slices.Contains(served, c.Owner) {
			served = append(served, c.Owner)
		}
	}
	if len(others) > 0 {
		for _, c := range others {
			keep(c)
		}
	} else if len(cnames) > 0 {
		keep(cnames[0])
	}
	for _, c := range riding {
		if slices.Contains(served, c.Owner) {
			keep(c)
		}
	}
	if rule == ClaimsMerge && len(owners) > 1 {
		var names []string
		for _, o := range owners {
			names = append(names, o.String())
		}
		msgs = append(msgs, fmt.Sprintf("%s is claimed by %s: serving %d records (claims merge)", name, strings.Join(names, ", "), len(out)))
		for _, o := range owners {
			if !slices.Contains(served, o) {
				msgs = append(msgs, fmt.Sprintf("%s: ignoring %s's CNAME beside the other claimants' records", name, o))
				lost++
			}
		}
	}
	return out, msgs, lost
}

// claimEach emits owner's claim on each of rrs, for audience.
func claimEach(emit func(Claim), owner Owner, audience Audience, rrs []dns.RR) {
	for _, rr := range rrs {
		emit(Claim{RR: rr, Owner: owner, Audience: audience})
	}
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
