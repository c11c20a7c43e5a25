package clusterdns

import (
	"sync"

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
// The pod comes from ClientPod, which is nil while the block keeps no pods: autopath then
// starts and does nothing (see the README). Guessing the namespace from elsewhere (the
// query name, a reverse lookup of the client) could send a pod another namespace's
// answers, which a search path must never do.
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
