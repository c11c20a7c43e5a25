package clusterdns

import (
	"net/netip"
	"sync"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/request"

	"github.com/miekg/dns"
)

// ClientPod finds the pod that has a client's address: its namespace and name, or ok false.
type ClientPod func(ip string) (namespace, name string, ok bool)

// AutoPath implements autopath.AutoPather (`autopath @clusterdns`) as the kubernetes plugin
// does: for a query in a cluster zone from a pod, the pod's search path (NS.svc.ZONE,
// svc.ZONE, ZONE, then the server's own resolv.conf search domains), so autopath answers
// google.com.NS.svc.ZONE in one round trip. Without the client's pod the answer is nil and
// autopath leaves the query alone, as the kubernetes plugin without `pods verified`.
//
// The pod comes from ClientPod, set with pods verified (clientPod) and nil otherwise:
// autopath then starts and does nothing, as with the kubernetes plugin. Guessing the
// namespace from elsewhere (the query name, a reverse lookup of the client) could send a
// pod another namespace's answers, which a search path must never do.
func (c *ClusterDNS) AutoPath(state request.Request) []string {
	zone := zonename.Match(c.cfg.zones, state.Name())
	if zone == "" || c.ClientPod == nil {
		return nil
	}
	ns, _, ok := c.ClientPod(state.IP())
	if !ok {
		return nil
	}
	extra := autoPathSearch()
	search := make([]string, 0, 4+len(extra))
	if zone == "." {
		search = append(search, ns+".svc.", "svc.", ".")
	} else {
		search = append(search, ns+".svc."+zone, "svc."+zone, zone)
	}
	search = append(search, extra...)
	return append(search, "") // autopath's sentinel: the name as asked
}

// autoPathSearch returns the server's own search domains, read once from /etc/resolv.conf
// as the kubernetes plugin's searchFromResolvConf does at setup.
var autoPathSearch = sync.OnceValue(func() []string {
	rc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil
	}
	plugin.Zones(rc.Search).Normalize()
	return rc.Search
})

// clientPod finds a client's pod in the pod index. When pods of several namespaces share
// the address (hostNetwork pods have their node's) the client's namespace is unknown and
// no pod is found: the kubernetes plugin takes any one of them, which can give a pod
// another namespace's search path. When several pods of one namespace share it, the
// namespace is found and the name is empty.
func clientPod(pods *model.Pods) ClientPod {
	return func(ip string) (string, string, bool) {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return "", "", false
		}
		s := pods.Get(a)
		if s.Len() == 0 {
			return "", "", false
		}
		first := s.At(0)
		for i := 1; i < s.Len(); i++ {
			if s.At(i).Namespace != first.Namespace {
				return "", "", false
			}
		}
		if s.Len() > 1 {
			return first.Namespace, "", true
		}
		return first.Namespace, first.Name, true
	}
}
