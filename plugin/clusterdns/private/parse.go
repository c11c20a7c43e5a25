package private

import (
	"strconv"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/plugin"
)

// DefaultTTL is the TTL of the records the cluster gives a zone, as the cluster zone's.
const DefaultTTL = 30

// ParseBlock parses one private directive, the controller's current token being "private":
//
//	private ZONE {
//	    file PATH
//	    services [annotated|all]
//	    ingresses
//	    namespaces NAMESPACE...
//	    mesh [NAMESPACE/NAME]
//	    ttl SECONDS
//	    claims oldest|merge
//	    inside
//	    gateways [CLASS...]
//	    dnsendpoints
//	    magic
//	    nodeports [InternalIP|ExternalIP]
//	}
//
// It leaves the controller on the directive's last token, so the enclosing block's
// c.NextBlock() loop goes on with the next directive (the twin of stub.ParseBlock).
func ParseBlock(c *caddy.Controller) (*Config, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return nil, c.Errf("private: want one zone, got %d", len(args))
	}
	zones := plugin.Host(args[0]).NormalizeExact()
	if len(zones) != 1 {
		return nil, c.Errf("private: invalid zone %q", args[0])
	}
	p := &Config{Sources: Sources{Zone: strings.ToLower(zones[0]), TTL: DefaultTTL}}
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
			p.Services = ExportAnnotated
			if c.NextArg() {
				switch c.Val() {
				case "annotated":
				case "all":
					p.Services = ExportAll
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
			var err error
			if p.Namespaces, err = ParseNamespaces(c, p.Namespaces); err != nil {
				return nil, err
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
		case "istio":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			p.Istio = true
		case "knative":
			args := c.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return nil, c.Errf("knative: want the gateway Service as NAMESPACE/NAME, and optionally the local gateway's")
			}
			for i, to := range []*model.Key{&p.Knative, &p.KnativeLocal}[:len(args)] {
				ns, svc, ok := strings.Cut(args[i], "/")
				if !ok || ns == "" || svc == "" || strings.Contains(svc, "/") {
					return nil, c.Errf("knative %q: want a gateway Service as NAMESPACE/NAME", args[i])
				}
				*to = model.Key{Namespace: ns, Name: svc}
			}
		case "gateways":
			p.Gateways = true
			p.GatewayClasses = append(p.GatewayClasses, c.RemainingArgs()...)
		case "ttl":
			var err error
			if p.TTL, err = ParseTTL(c); err != nil {
				return nil, err
			}
		case "claims":
			if !c.NextArg() {
				return nil, c.ArgErr()
			}
			switch c.Val() {
			case "oldest":
				p.Claims = ClaimsOldest
			case "merge":
				p.Claims = ClaimsMerge
			default:
				return nil, c.Errf("claims %q: want oldest or merge", c.Val())
			}
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "inside":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			p.Inside = true
		case "dnsendpoints":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			p.DNSEndpoints = true
		case "magic":
			if c.NextArg() {
				return nil, c.ArgErr()
			}
			p.Magic = true
		case "nodeports":
			p.NodePorts = NodeInternalIP
			if c.NextArg() {
				switch c.Val() {
				case "InternalIP":
				case "ExternalIP":
					p.NodePorts = NodeExternalIP
				default:
					return nil, c.Errf("nodeports %q: want InternalIP or ExternalIP", c.Val())
				}
			}
			if c.NextArg() {
				return nil, c.ArgErr()
			}
		case "transfer":
			return nil, c.Errf("private %s: transfers are configured with CoreDNS's transfer plugin now: write `transfer %s { to ADDRESS... }` in the server block instead of `transfer to` here", p.Zone, p.Zone)
		default:
			return nil, c.Errf("private %s: unknown property %q", p.Zone, c.Val())
		}
	}
	if c.Val() != "}" {
		return nil, c.Errf("private %s: missing }", p.Zone)
	}
	if p.Reverse() && (p.Mesh || p.Services != ExportNone || p.Ingresses || p.Istio || p.Knative.Name != "" ||
		p.Gateways || p.Magic || p.Inside || p.Claims != ClaimsOldest || p.NodePorts != NodePortsOff) {
		return nil, c.Errf("private %s: a reverse zone takes its PTR records from the block's forward private zones; give it only file, ttl and dnsendpoints", p.Zone)
	}
	return p, nil
}

// ParseTTL parses the argument of a ttl option: seconds from 0 to 3600.
func ParseTTL(c *caddy.Controller) (uint32, error) {
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

// ParseNamespaces parses the arguments of a namespaces option, of a clusterdns block or of
// a private zone, into the filter ns (nil: a new one): a second namespaces line adds to
// the first.
func ParseNamespaces(c *caddy.Controller, ns model.Namespaces) (model.Namespaces, error) {
	args := c.RemainingArgs()
	if len(args) == 0 {
		return nil, c.ArgErr()
	}
	if ns == nil {
		ns = model.Namespaces{}
	}
	for _, n := range args {
		ns[n] = true
	}
	return ns, nil
}

// Link gives each reverse private zone of a block the block's forward private zones, whose
// addresses it maps to names.
func Link(zones []*Config) {
	for _, p := range zones {
		if p.Reverse() {
			for _, f := range zones {
				if !f.Reverse() {
					p.Forward = append(p.Forward, &f.Sources)
				}
			}
		}
	}
}
