package clusterdns

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/index"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/kubedns"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/peer"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/plugin"
	clog "github.com/coredns/coredns/plugin/pkg/log"
	"github.com/coredns/coredns/plugin/pkg/upstream"
	"github.com/coredns/coredns/plugin/transfer"
)

var log = clog.NewWithPlugin(name)

// manifestPoll is how often manifest files are checked for changes: a poll and the settle
// window of package follow (twice, for a writer caught mid-way) serve an edit within 2 s.
var manifestPoll = time.Second

// filePoll is how often zone files are checked for changes, as manifestPoll.
var filePoll = time.Second

// stubdomainsPoll is how often a kube-dns ConfigMap is checked for changes, as manifestPoll.
var stubdomainsPoll = time.Second

func init() { plugin.Register(name, setup) }

func setup(c *caddy.Controller) error {
	cfg, err := parse(c)
	if err != nil {
		return plugin.Error(name, err)
	}
	h := newClusterDNS(cfg)
	c.OnStartup(func() error {
		// the transfer plugin of the server block, if any, as the file plugin finds it
		if t, ok := dnsserver.GetConfig(c).Handler("transfer").(*transfer.Transfer); ok {
			for _, p := range h.privates {
				p.Xfer = t
			}
		}
		if cfg.explain { // before start: a block that cannot serve it starts nothing
			if err := h.serveExplain(c); err != nil {
				return err
			}
		}
		return h.start(boundIPs(c))
	})
	c.OnShutdown(func() error { h.stop(); return nil })
	dnsserver.GetConfig(c).AddPlugin(func(next plugin.Handler) plugin.Handler {
		h.Next = next
		for _, p := range h.privates {
			p.Next = next
		}
		return h
	})
	return nil
}

func newClusterDNS(cfg *config) *ClusterDNS {
	zones := cfg.allZones()
	if z := cfg.peerZone(); z != "" && !slices.Contains(zones, z) {
		zones = append(zones, z) // clusterset.local, answered by the peers alone
	}
	names := map[string]zoneNames{}
	for _, z := range cfg.zones {
		names[z] = soaNames(z)
	}
	c := &ClusterDNS{
		Zones: zones, Fall: cfg.fall, TTL: cfg.ttl, Upstream: upstream.New(), cfg: cfg, soaNames: names,
		privates: map[string]*private.Zone{},
	}
	var follow *stub.Follower
	if cfg.stubdomains != "" {
		follow = kubedns.Follower(cfg.stubdomains, stubdomainsPoll)
	}
	c.stubs = stub.NewSet(cfg.stubs, follow, cfg.zones, cfg.privateZones())
	for _, p := range cfg.privates {
		z := private.New(p, log.Warningf)
		z.Fall = cfg.fall
		c.privates[p.Zone] = z
	}
	if len(cfg.peers) > 0 {
		peers := cfg.peers
		if len(cfg.zones) > 0 && len(cfg.manifests) == 0 && !slices.Contains(cfg.mcZones, cfg.peerZone()) {
			// the local cluster's exports, first; with multicluster, its ServiceImports say
			// what the local cluster shares
			local := peer.Local(cfg.sourceKey(), cfg.kubeconfig, cfg.context, cfg.endpoint, cfg.tls)
			peers = append([]*peer.Config{local}, peers...)
		}
		c.peers = peer.NewSet(cfg.peerZone(), peers)
	}
	if cfg.multiCluster() {
		c.mc = index.New(index.Config{
			Published: func(time.Duration) {
				if c.peers != nil {
					c.peers.Poke() // the peers' names are laid over the ServiceImports'
				}
			},
			PrimaryZone:        cfg.primaryZone,
			MultiCluster:       true,
			Namespaces:         cfg.namespaces,
			EndpointPodNames:   cfg.podNames,
			IgnoreEmptyService: cfg.ignoreEmpty,
			PodsInsecure:       cfg.podsInsecure, // the plugin answers pod names in every zone
			// not NoEndpoints: the plugin reads imported slices whatever noendpoints says
		})
	}
	if len(cfg.zones) > 0 {
		zone := cfg.zones[0]
		c.index = index.New(index.Config{
			PrimaryZone:        cfg.primaryZone,
			Reverse:            cfg.hasReverse(),
			Namespaces:         cfg.namespaces,
			PodsInsecure:       cfg.podsInsecure || cfg.podsVerified, // NS.pod exists in both
			EndpointPodNames:   cfg.podNames,
			NoEndpoints:        cfg.noEndpoints,
			Zonal:              cfg.zonal,
			IgnoreEmptyService: cfg.ignoreEmpty,
			Published: func(d time.Duration) {
				publications.WithLabelValues(zone).Inc()
				publishDuration.WithLabelValues(zone).Observe(d.Seconds())
			},
			Ready: logColdStart,
		})
	}
	return c
}

// logColdStart logs the cold start of a cluster zone once: test/bench reads the build time
// from this line, so its format is kept.
func logColdStart(s index.ColdStart) {
	log.Infof("cluster zone ready: %d services, %d endpoint slices; initial lists arrived in %d ms, index built and ready %d ms after",
		s.Services, s.Slices, s.Listed.Milliseconds(), s.Built.Milliseconds())
}

// start connects the block to its (shared) source, starts its private zones and waits,
// bounded, for everything to be complete.
func (c *ClusterDNS) start(localIPs []netip.Addr) error {
	if err := c.startParts(localIPs); err != nil {
		c.stop() // caddy drops a failed instance without its shutdown hooks
		return plugin.Error(name, err)
	}
	// after startup_timeout the server starts and answers SERVFAIL for cluster names until
	// the sync completes
	deadline := time.Now().Add(c.cfg.startupTimeout)
	for !c.complete() {
		if time.Now().After(deadline) {
			log.Warningf("starting before %s is complete: its names answer SERVFAIL until it is", strings.Join(c.Zones, " "))
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// complete reports whether every zone of the block has all of its sources listed; start
// waits for it, bounded, where readiness waits for less (see Ready).
func (c *ClusterDNS) complete() bool {
	if !c.Ready() {
		return false
	}
	for _, p := range c.privates {
		if !p.Ready() {
			return false
		}
	}
	return true
}

// startParts starts the source, the stub zones, the index and the private zones, in the
// order they depend on each other.
func (c *ClusterDNS) startParts(localIPs []netip.Addr) error {
	var store *model.Store
	if c.cfg.needsCluster() {
		src, err := acquire(c.cfg)
		if err != nil {
			return err
		}
		c.acquired = true
		store = src.Store()
		c.usePods(store)
		for _, p := range c.cfg.privates {
			for _, k := range p.Kinds() {
				if err := src.Enable(k); err != nil {
					return err
				}
			}
		}
		if c.mc != nil {
			if err := src.Enable(model.KindMultiCluster); err != nil {
				return err
			}
		}
	}
	if err := c.stubs.Start(); err != nil {
		return err
	}
	if c.index != nil {
		c.index.Start(store, localIPs)
	}
	if c.mc != nil {
		c.mc.Start(store, nil)
	}
	for _, p := range c.privates {
		if err := p.Start(store, filePoll); err != nil {
			return err
		}
	}
	if c.peers != nil {
		var base func() *index.Snapshot
		if c.mc != nil && slices.Contains(c.cfg.mcZones, c.peers.Zone) {
			base = c.mc.Snapshot
		}
		if err := c.peers.Start(base, store); err != nil {
			return err
		}
	}
	return nil
}

// usePods answers pod names and finds clients' pods from the Store's pod index, with pods
// verified.
func (c *ClusterDNS) usePods(st *model.Store) {
	if c.cfg.podsVerified {
		c.pods = st.Pods()
		c.ClientPod = clientPod(c.pods)
	}
}

// stop releases what start took. It runs once, however often caddy calls the shutdown hooks
// (a test harness may call them again after a reload did).
func (c *ClusterDNS) stop() { c.stopOnce.Do(c.shutdown) }

func (c *ClusterDNS) shutdown() {
	if c.unexplain != nil {
		c.unexplain()
	}
	c.stubs.Stop()
	for _, p := range c.privates {
		p.Stop()
	}
	if c.index != nil {
		c.index.Stop()
	}
	if c.mc != nil {
		c.mc.Stop()
	}
	if c.peers != nil {
		c.peers.Stop()
	}
	if c.acquired {
		release(c.cfg)
	}
}

// boundIPs returns the non-loopback addresses the server listens on, as the kubernetes
// plugin computes them for its NS records.
func boundIPs(c *caddy.Controller) []netip.Addr {
	hosts := dnsserver.GetConfig(c).ListenHosts
	if len(hosts) == 0 || hosts[0] == "" {
		hosts = nil
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil
		}
		for _, a := range addrs {
			hosts = append(hosts, a.String())
		}
	}
	var ips []netip.Addr
	for _, h := range hosts {
		p, err := netip.ParsePrefix(h)
		ip := p.Addr()
		if err != nil {
			if ip, err = netip.ParseAddr(h); err != nil {
				continue
			}
		}
		if ip = ip.Unmap(); !ip.IsLoopback() {
			ips = append(ips, ip)
		}
	}
	return ips
}
