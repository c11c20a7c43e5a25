package clusterdns

import (
	"errors"
	"strconv"
	"strings"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
	"github.com/coredns/coredns/plugin/pkg/dnsutil"
	"github.com/coredns/coredns/plugin/pkg/fall"
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
		default:
			return nil, c.Errf("unknown property %q", c.Val())
		}
	}
	if len(cfg.zones) == 0 {
		return nil, c.Err("no zones: name the cluster zones, e.g. clusterdns cluster.local in-addr.arpa ip6.arpa")
	}
	for _, z := range cfg.zones {
		if !isReverse(z) {
			cfg.primaryZone = z
			break
		}
	}
	if cfg.primaryZone == "" {
		return nil, c.Err("no forward zone: reverse zones need one to name PTR targets")
	}
	if len(cfg.manifests) > 0 && (cfg.kubeconfig != "" || cfg.endpoint != "") {
		return nil, c.Err("manifests serve objects from files: do not combine them with kubeconfig or endpoint")
	}
	if c.Next() && c.Val() == name {
		return nil, errors.New("only one clusterdns block per server block")
	}
	return cfg, nil
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
