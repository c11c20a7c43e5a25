package peer

import (
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
)

// ParseBlock parses one peer directive, the controller's current token being "peer":
//
//	peer NAME {
//	    kubeconfig PATH [CONTEXT]
//	    export_annotation KEY
//	    endpoints
//	}
//
// It leaves the controller on the block's closing brace, as private.ParseBlock. The
// kubeconfig is read at start, as the block's own: a missing one is an error there.
func ParseBlock(c *caddy.Controller) (*Config, error) {
	args := c.RemainingArgs()
	if len(args) != 1 {
		return nil, c.Errf("peer: want one name, got %d", len(args))
	}
	p := &Config{Name: strings.ToLower(args[0]), ExportAnnotation: model.AnnotationPeerExport}
	if p.Name == LocalName {
		return nil, c.Errf("peer %s: the name is the local cluster's label in endpoint names; choose another", p.Name)
	}
	if !validLabel(p.Name) {
		return nil, c.Errf("peer %q: the name is the cluster label of endpoint names: letters, digits and hyphens", args[0])
	}
	if !c.NextArg() || c.Val() != "{" {
		return nil, c.Errf("peer %s: want a block with kubeconfig PATH", p.Name)
	}
	for c.Next() && c.Val() != "}" {
		switch c.Val() {
		case "kubeconfig":
			args := c.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return nil, c.ArgErr()
			}
			p.Kubeconfig = args[0]
			if len(args) == 2 {
				p.Context = args[1]
			}
		case "export_annotation":
			args := c.RemainingArgs()
			if len(args) != 1 {
				return nil, c.ArgErr()
			}
			p.ExportAnnotation = args[0]
		case "endpoints":
			if len(c.RemainingArgs()) != 0 {
				return nil, c.ArgErr()
			}
			p.Endpoints = true
		default:
			return nil, c.Errf("peer %s: unknown property %q", p.Name, c.Val())
		}
	}
	if p.Kubeconfig == "" {
		return nil, c.Errf("peer %s: no kubeconfig: a peer is read only through its own", p.Name)
	}
	return p, nil
}
