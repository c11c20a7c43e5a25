package clusterdns

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/peer"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/zonename"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/fall"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// defaultTTL is the cluster zone's TTL when the block sets none: the kubernetes plugin's, so
// a block that leaves ttl out answers as a kubernetes block does. Private zones keep their
// own default (private.DefaultTTL): they have no kubernetes counterpart.
const defaultTTL = 5

// defaultStartupTimeout is the kubernetes plugin's startup_timeout default.
const defaultStartupTimeout = 5 * time.Second

// config is one parsed clusterdns block.
type config struct {
	zones       []string // lowercase, fully qualified
	mcZones     []string // multicluster zones (KEP-1645): those of zones served from ServiceImports
	primaryZone string   // the first forward zone: PTR targets are built in it
	kubeconfig  string
	context     string
	endpoint    string
	tls         [3]string // client certificate, key, CA files
	labels      string    // label selector of Services (and their slices), canonical
	nsLabels    string    // label selector of namespaces, canonical
	qps         float32   // apiserver_qps; 0: client-go's default
	burst       int       // apiserver_burst; 0: client-go's default
	maxInflight int       // apiserver_max_inflight; 0: no limit
	// startupTimeout bounds how long server start waits for the block's first complete
	// snapshot, as the kubernetes plugin's startup_timeout.
	startupTimeout time.Duration
	manifests      []string
	namespaces     model.Namespaces
	podsInsecure   bool
	podsVerified   bool // pod names answered only for existing pods; reads Pods
	podNames       bool // endpoint_pod_names
	noEndpoints    bool
	zonal          bool // zone-scoped names of headless Services
	ignoreEmpty    bool // ignore empty_service
	ttl            uint32
	fall           fall.F
	privates       []*private.Config
	stubs          []*stub.Config
	stubdomains    string // a kube-dns ConfigMap whose stubDomains become stub zones

	// the peer option: peer clusters whose exported Services are answered in peerZone
	peers []*peer.Config

	explain bool // serve the explain endpoint on the block's metrics listener (explain.go)
}

// hasReverse reports whether a reverse zone is served.
func (c *config) hasReverse() bool {
	for _, z := range c.zones {
		if zonename.IsReverse(z) {
			return true
		}
	}
	return false
}

// parse reads one clusterdns block. It checks everything it can without touching the network.
func parse(c *caddy.Controller) (*config, error) {
	cfg := &config{ttl: defaultTTL, namespaces: model.Namespaces{}, startupTimeout: defaultStartupTimeout}
	if !c.Next() {
		return nil, c.ArgErr()
	}
	for _, arg := range c.RemainingArgs() {
		zones := plugin.Host(arg).NormalizeExact()
		if len(zones) == 0 {
			return nil, c.Errf("invalid zone %q", arg)
		}
		for _, z := range zones {
			cfg.zones = append(cfg.zones, strings.ToLower(z))
		}
	}
	for c.NextBlock() {
		var err error
		switch c.Val() {
		case "kubeconfig":
			args := c.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return nil, c.ArgErr()
			}
			cfg.kubeconfig = args[0]
			if len(args) == 2 {
				cfg.context = args[1]
			}
		case "endpoint":
			args := c.RemainingArgs()
			if len(args) == 0 {
				return nil, c.ArgErr()
			}
			for _, u := range args {
				if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
					return nil, c.Errf("endpoint %q: want an http:// or https:// URL", u)
				}
			}
			if len(args) > 1 {
				// as the kubernetes plugin, which deprecated them
				log.Warningf("%s:%d: several endpoints: only the first, %s, is used", c.File(), c.Line(), args[0])
			}
			cfg.endpoint = args[0]
		case "labels", "namespace_labels":
			opt := c.Val()
			sel, err := selectorArg(c)
			if err != nil {
				return nil, err
			}
			if opt == "labels" {
				cfg.labels = sel
			} else {
				cfg.nsLabels = sel
			}
		case "tls":
			args := c.RemainingArgs()
			if len(args) != 3 {
				return nil, c.ArgErr()
			}
			cfg.tls = [3]string(args)
		case "apiserver_qps":
			f, err := floatArg(c)
			if err != nil {
				return nil, err
			}
			cfg.qps = float32(f)
		case "apiserver_burst":
			if cfg.burst, err = intArg(c); err != nil {
				return nil, err
			}
		case "apiserver_max_inflight":
			if cfg.maxInflight, err = intArg(c); err != nil {
				return nil, err
			}
		case "startup_timeout":
			args := c.RemainingArgs()
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 {
				return nil, c.Errf("startup_timeout %q: want a duration such as 5s", args[0])
			}
			cfg.startupTimeout = d
		case "manifests":
			cfg.manifests = c.RemainingArgs()
			if len(cfg.manifests) == 0 {
				return nil, c.ArgErr()
			}
		case "namespaces":
			if cfg.namespaces, err = private.ParseNamespaces(c, cfg.namespaces); err != nil {
				return nil, err
			}
		case "pods":
			if !c.NextArg() {
				return nil, c.ArgErr()
			}
			switch c.Val() {
			case "disabled":
				cfg.podsInsecure, cfg.podsVerified = false, false
			case "insecure":
				cfg.podsInsecure, cfg.podsVerified = true, false
			case "verified":
				cfg.podsInsecure, cfg.podsVerified = false, true
			default:
				return nil, c.Errf("pods %q: want disabled, insecure or verified", c.Val())
			}
		case "endpoint_pod_names":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			cfg.podNames = true
		case "noendpoints":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			cfg.noEndpoints = true
		case "ignore":
			args := c.RemainingArgs()
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			if args[0] != "empty_service" {
				return nil, c.Errf("ignore %q: want empty_service", args[0])
			}
			cfg.ignoreEmpty = true
		case "ttl":
			if cfg.ttl, err = private.ParseTTL(c); err != nil {
				return nil, err
			}
		case "fallthrough":
			cfg.fall.SetZonesFromArgs(c.RemainingArgs())
		case "stub":
			sc, err := stub.ParseBlock(c)
			if err != nil {
				return nil, err
			}
			cfg.stubs = append(cfg.stubs, sc)
		case "stubdomains":
			args := c.RemainingArgs()
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			cfg.stubdomains = args[0]
		case "private":
			p, err := private.ParseBlock(c)
			if err != nil {
				return nil, err
			}
			cfg.privates = append(cfg.privates, p)
		case "zonal":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			cfg.zonal = true
		case "explain":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			cfg.explain = true
		case "peer":
			p, err := peer.ParseBlock(c)
			if err != nil {
				return nil, err
			}
			if slices.ContainsFunc(cfg.peers, func(q *peer.Config) bool { return q.Name == p.Name }) {
				return nil, c.Errf("peer %s is named twice", p.Name)
			}
			cfg.peers = append(cfg.peers, p)
		case "multicluster":
			// as the kubernetes plugin: only those of the block's zones are served (from
			// ServiceImports); no argument names none
			for _, z := range plugin.OriginsFromArgsOrServerBlock(c.RemainingArgs(), []string{}) {
				cfg.mcZones = append(cfg.mcZones, strings.ToLower(z))
			}
		default:
			return nil, c.Errf("unknown property %q", c.Val())
		}
	}
	if len(cfg.zones) == 0 && len(cfg.privates) == 0 && len(cfg.stubs) == 0 && cfg.stubdomains == "" && len(cfg.peers) == 0 {
		return nil, c.Err("no zones: name the cluster zones (clusterdns cluster.local in-addr.arpa ip6.arpa), or give private or stub zones")
	}
	// PTR targets name the cluster's own Services: a multicluster zone only when there is
	// no other
	for _, z := range cfg.zones {
		first := cfg.primaryZone == "" || (slices.Contains(cfg.mcZones, cfg.primaryZone) && !slices.Contains(cfg.mcZones, z))
		if !zonename.IsReverse(z) && first {
			cfg.primaryZone = z
		}
	}
	if len(cfg.zones) > 0 && cfg.primaryZone == "" {
		return nil, c.Err("no forward zone: reverse zones need one to name PTR targets")
	}
	if err := cfg.checkZones(); err != nil {
		return nil, c.Err(err.Error())
	}
	private.Link(cfg.privates)
	for _, p := range cfg.privates {
		if p.Inside && len(cfg.zones) == 0 {
			return nil, c.Errf("private %s: inside answers the pods of a block with cluster zones; this block has none (a peered view keeps the load balancer addresses)", p.Zone)
		}
	}
	if len(cfg.manifests) > 0 && cfg.multiCluster() {
		return nil, c.Err("multicluster reads ServiceImports from an API server: not supported with manifests")
	}
	if len(cfg.manifests) > 0 && cfg.nodePorts() {
		return nil, c.Err("nodeports reads Nodes from an API server: not supported with manifests")
	}
	if len(cfg.manifests) > 0 && (cfg.kubeconfig != "" || cfg.endpoint != "" || cfg.tls[0] != "") {
		return nil, c.Err("manifests serve objects from files: do not combine them with kubeconfig, endpoint or tls")
	}
	if len(cfg.manifests) > 0 && (cfg.labels != "" || cfg.nsLabels != "") {
		return nil, c.Err("labels and namespace_labels select what an API server sends: not supported with manifests")
	}
	if len(cfg.manifests) > 0 && cfg.podsVerified {
		return nil, c.Err("pods verified answers for the pods an API server reports: not supported with manifests")
	}
	if cfg.nsLabels != "" && len(cfg.namespaces) > 0 {
		return nil, c.Err("namespaces and namespace_labels cannot both be set") // as the kubernetes plugin
	}
	if cfg.zonal && cfg.noEndpoints {
		return nil, c.Err("zonal requires the endpoint cache; remove noendpoints") // as the kubernetes plugin
	}
	if cfg.tls[0] != "" && cfg.kubeconfig == "" && cfg.endpoint == "" {
		// the kubernetes plugin ignores it there; silently using other credentials is a trap
		return nil, c.Err("tls needs endpoint or kubeconfig: the in-cluster configuration has its own credentials")
	}
	if c.Next() && c.Val() == name {
		return nil, plugin.ErrOnce
	}
	return cfg, nil
}

// selectorArg parses the arguments of labels or namespace_labels as the kubernetes plugin
// does (the words joined by spaces, a LabelSelector) and returns its canonical form, which
// the API server is sent and which keys the source.
func selectorArg(c *caddy.Controller) (string, error) {
	opt := c.Val()
	args := c.RemainingArgs()
	if len(args) == 0 {
		return "", c.ArgErr()
	}
	expr := strings.Join(args, " ")
	ls, err := metav1.ParseToLabelSelector(expr)
	if err != nil {
		return "", c.Errf("%s %q: %v", opt, expr, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return "", c.Errf("%s %q: %v", opt, expr, err)
	}
	return sel.String(), nil
}

// floatArg parses the one argument of an option: a number >= 0.
func floatArg(c *caddy.Controller) (float64, error) {
	opt := c.Val()
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.ArgErr()
	}
	f, err := strconv.ParseFloat(args[0], 32)
	if err != nil || f < 0 {
		return 0, c.Errf("%s %q: want a number >= 0", opt, args[0])
	}
	return f, nil
}

// intArg parses the one argument of an option: an integer >= 0.
func intArg(c *caddy.Controller) (int, error) {
	opt := c.Val()
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.ArgErr()
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 0 {
		return 0, c.Errf("%s %q: want an integer >= 0", opt, args[0])
	}
	return n, nil
}

// checkZones rejects zones served twice in one block: a private or stub zone equal to a
// cluster zone, or private and stub zones that are equal or nested (which one would answer
// is a trap). A private or stub zone inside a cluster zone is allowed: it answers for its
// part of the cluster zone.
func (c *config) checkZones() error {
	type named struct{ kind, zone string }
	var own []named
	for _, p := range c.privates {
		own = append(own, named{"private", p.Zone})
	}
	for _, s := range c.stubs {
		own = append(own, named{"stub", s.Zone})
	}
	for i, a := range own {
		if slices.Contains(c.zones, a.zone) {
			return fmt.Errorf("zone %s is both a cluster zone and a %s zone", a.zone, a.kind)
		}
		for _, b := range own[:i] {
			if zonename.Overlap(a.zone, b.zone) {
				return fmt.Errorf("%s zone %s and %s zone %s overlap", b.kind, b.zone, a.kind, a.zone)
			}
		}
	}
	return nil
}

// multiCluster reports whether the block serves a multicluster zone.
func (c *config) multiCluster() bool {
	return slices.ContainsFunc(c.zones, func(z string) bool { return slices.Contains(c.mcZones, z) })
}

// allZones returns the zones the block answers from its own data, cluster then private.
// Stub zones are matched separately (they change at run time).
func (c *config) allZones() []string {
	zones := slices.Clone(c.zones)
	for _, p := range c.privates {
		zones = append(zones, p.Zone)
	}
	return zones
}

func (c *config) privateZones() []string { return c.allZones()[len(c.zones):] }

// needsCluster reports whether the block reads an API server or manifests.
func (c *config) needsCluster() bool {
	if len(c.zones) > 0 {
		return true
	}
	for _, p := range c.privates {
		if p.ReadsCluster() {
			return true
		}
	}
	return false
}

// sourceKey identifies the source a block reads, so blocks reading the same one share it.
// It is also the source label of the metrics.
func (c *config) sourceKey() string {
	if len(c.manifests) > 0 {
		return "manifests:" + strings.Join(c.manifests, ",")
	}
	k := "kube:in-cluster"
	if c.kubeconfig != "" || c.endpoint != "" {
		k = "kube:" + c.kubeconfig
		if c.context != "" {
			k += "#" + c.context
		}
		if c.endpoint != "" {
			k += "@" + c.endpoint
		}
	}
	if c.tls[0] != "" {
		k += "+tls:" + strings.Join(c.tls[:], ",")
	}
	if c.labels != "" || c.nsLabels != "" {
		k += "+labels:" + c.labels + ";" + c.nsLabels
	}
	if c.qps != 0 || c.burst != 0 || c.maxInflight != 0 {
		k += fmt.Sprintf("+limits:%g,%d,%d", c.qps, c.burst, c.maxInflight)
	}
	if c.podNames {
		// the source keeps pod names only for the blocks that use them (memory)
		k += "+podnames"
	}
	if c.zonal {
		k += "+zones" // as pod names: kept only for the blocks that use them
	}
	if c.podsVerified {
		k += "+pods" // the source watches Pods only for the blocks that use them
	}
	if c.noEndpoints {
		k += "+noendpoints" // the source does not read EndpointSlices
	}
	if c.nodePorts() {
		k += "+nodenames" // as pod names: endpoints' nodes kept only for the blocks that use them
	}
	return k
}

// peerZone is where peers' exports are answered: the block's first multicluster zone, else
// clusterset.local; "" without peers.
func (c *config) peerZone() string {
	if len(c.peers) == 0 {
		return ""
	}
	for _, z := range c.mcZones {
		if slices.Contains(c.zones, z) {
			return z
		}
	}
	return peer.DefaultZone
}
