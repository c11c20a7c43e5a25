package clusterdns

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/private"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/stub"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/plugin/pkg/fall"
	"github.com/miekg/dns"
)

const defaultTTL = 30

// config is one parsed clusterdns block.
type config struct {
	zones        []string // lowercase, fully qualified
	primaryZone  string   // the first forward zone: PTR targets are built in it
	kubeconfig   string
	context      string
	endpoint     string
	manifests    []string
	namespaces   map[string]bool
	podsInsecure bool
	ttl          uint32
	fall         fall.F
	privates     []*private.Config
	stubs        []*stub.Config
	stubdomains  string // a kube-dns ConfigMap whose stubDomains become stub zones
}

// hasReverse reports whether a reverse zone is served.
func (c *config) hasReverse() bool {
	for _, z := range c.zones {
		if isReverse(z) {
			return true
		}
	}
	return false
}

// parse reads one clusterdns block. It checks everything it can without touching the network.
func parse(c *caddy.Controller) (*config, error) {
	cfg := &config{ttl: defaultTTL, namespaces: map[string]bool{}}
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
			if !c.NextArg() {
				return nil, c.ArgErr()
			}
			cfg.endpoint = c.Val()
			if !strings.HasPrefix(cfg.endpoint, "http://") && !strings.HasPrefix(cfg.endpoint, "https://") {
				return nil, c.Errf("endpoint %q: want an http:// or https:// URL", cfg.endpoint)
			}
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "manifests":
			cfg.manifests = c.RemainingArgs()
			if len(cfg.manifests) == 0 {
				return nil, c.ArgErr()
			}
		case "namespaces":
			args := c.RemainingArgs()
			if len(args) == 0 {
				return nil, c.ArgErr()
			}
			for _, ns := range args {
				cfg.namespaces[ns] = true
			}
		case "pods":
			if !c.NextArg() {
				return nil, c.ArgErr()
			}
			switch c.Val() {
			case "disabled":
				cfg.podsInsecure = false
			case "insecure":
				cfg.podsInsecure = true
			default:
				return nil, c.Errf("pods %q: want disabled or insecure", c.Val())
			}
		case "ttl":
			if cfg.ttl, err = parseTTL(c); err != nil {
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
			p, err := parsePrivate(c)
			if err != nil {
				return nil, err
			}
			cfg.privates = append(cfg.privates, p)
		default:
			return nil, c.Errf("unknown property %q", c.Val())
		}
	}
	if len(cfg.zones) == 0 && len(cfg.privates) == 0 && len(cfg.stubs) == 0 && cfg.stubdomains == "" {
		return nil, c.Err("no zones: name the cluster zones (clusterdns cluster.local in-addr.arpa ip6.arpa), or give private or stub zones")
	}
	for _, z := range cfg.zones {
		if !isReverse(z) {
			cfg.primaryZone = z
			break
		}
	}
	if len(cfg.zones) > 0 && cfg.primaryZone == "" {
		return nil, c.Err("no forward zone: reverse zones need one to name PTR targets")
	}
	if err := cfg.checkZones(); err != nil {
		return nil, c.Err(err.Error())
	}
	for _, p := range cfg.privates {
		if p.Reverse() {
			for _, f := range cfg.privates {
				if !f.Reverse() {
					p.Forward = append(p.Forward, &f.Sources)
				}
			}
		}
	}
	if len(cfg.manifests) > 0 && (cfg.kubeconfig != "" || cfg.endpoint != "") {
		return nil, c.Err("manifests serve objects from files: do not combine them with kubeconfig or endpoint")
	}
	if c.Next() && c.Val() == name {
		return nil, errors.New("only one clusterdns block per server block")
	}
	return cfg, nil
}

// parsePrivate reads one private block: private ZONE { ... }.
func parsePrivate(c *caddy.Controller) (*private.Config, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return nil, c.Errf("private: want one zone, got %d", len(args))
	}
	zones := plugin.Host(args[0]).NormalizeExact()
	if len(zones) != 1 {
		return nil, c.Errf("private: invalid zone %q", args[0])
	}
	p := &private.Config{Sources: private.Sources{Zone: strings.ToLower(zones[0]), TTL: defaultTTL}}
	// The options are walked by hand: inside the enclosing block, c.NextBlock() would take
	// the next line's directive for an option when this private zone has no block.
	if !c.NextArg() { // RemainingArgs stopped before a "{" on this line, or at its end
		return p, nil
	}
	for c.Next() && c.Val() != "}" {
		switch c.Val() {
		case "file":
			if !c.NextArg() {
				return nil, c.ArgErr()
			}
			p.File = c.Val()
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "services":
			p.Services = private.ExportAnnotated
			if c.NextArg() {
				switch c.Val() {
				case "annotated":
				case "all":
					p.Services = private.ExportAll
				default:
					return nil, c.Errf("services %q: want annotated or all", c.Val())
				}
			}
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "ingresses":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			p.Ingresses = true
		case "namespaces":
			args := c.RemainingArgs()
			if len(args) == 0 {
				return nil, c.ArgErr()
			}
			p.Namespaces = map[string]bool{}
			for _, ns := range args {
				p.Namespaces[ns] = true
			}
		case "mesh":
			p.Mesh = true
			if c.NextArg() {
				ns, svc, ok := strings.Cut(c.Val(), "/")
				if !ok || ns == "" || svc == "" {
					return nil, c.Errf("mesh %q: want the gateway Service as NAMESPACE/NAME", c.Val())
				}
				p.Gateway = model.Key{Namespace: ns, Name: svc}
			}
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "ttl":
			var err error
			if p.TTL, err = parseTTL(c); err != nil {
				return nil, err
			}
		case "transfer":
			args := c.RemainingArgs()
			if len(args) < 2 || args[0] != "to" {
				return nil, c.Err("transfer: want transfer to ADDRESS...")
			}
			for _, a := range args[1:] {
				addr, err := transferAddress(a)
				if err != nil {
					return nil, c.Errf("transfer to %q: %v", a, err)
				}
				p.TransferTo = append(p.TransferTo, addr)
			}
		default:
			return nil, c.Errf("private %s: unknown property %q", p.Zone, c.Val())
		}
	}
	if c.Val() != "}" {
		return nil, c.Errf("private %s: missing }", p.Zone)
	}
	if p.Reverse() && (p.Mesh || p.Services != private.ExportNone || p.Ingresses) {
		return nil, c.Errf("private %s: a reverse zone takes its PTR records from the block's forward private zones; give it only file, ttl and transfer", p.Zone)
	}
	return p, nil
}

// transferAddress checks a transfer peer: "*" (anyone may transfer, nobody is notified), an
// IP, or IP:PORT (notified on that port; 53 when none is given).
func transferAddress(a string) (string, error) {
	if a == "*" {
		return a, nil
	}
	if ip, err := netip.ParseAddr(a); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), 53).String(), nil
	}
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		return "", errors.New("want *, an IP address or IP:PORT")
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(), nil
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
			if dns.IsSubDomain(a.zone, b.zone) || dns.IsSubDomain(b.zone, a.zone) {
				return fmt.Errorf("%s zone %s and %s zone %s overlap", b.kind, b.zone, a.kind, a.zone)
			}
		}
	}
	return nil
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

// isReverse reports whether zone is in the reverse tree. (dnsutil.IsReverse needs a label
// before in-addr.arpa, so it says no for the usual zone "in-addr.arpa." itself.)
func isReverse(zone string) bool {
	return dnsutil.IsReverse("x."+zone) > 0
}

func parseTTL(c *caddy.Controller) (uint32, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return 0, c.ArgErr()
	}
	t, err := strconv.Atoi(args[0])
	if err != nil || t < 0 || t > 3600 {
		return 0, c.Errf("ttl %q: want seconds from 0 to 3600", args[0])
	}
	return uint32(t), nil
}

// sourceKey identifies the source a block reads, so blocks reading the same one share it.
// It is also the source label of the metrics.
func (c *config) sourceKey() string {
	switch {
	case len(c.manifests) > 0:
		return "manifests:" + strings.Join(c.manifests, ",")
	case c.kubeconfig == "" && c.endpoint == "":
		return "kube:in-cluster"
	}
	k := "kube:" + c.kubeconfig
	if c.context != "" {
		k += "#" + c.context
	}
	if c.endpoint != "" {
		k += "@" + c.endpoint
	}
	return k
}
