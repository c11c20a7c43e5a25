package peer

import (
	"fmt"
	"strings"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/coredns/caddy"
	"k8s.io/client-go/tools/clientcmd"
)

// ParseBlock parses one peer directive, the controller's current token being "peer":
//
//	peer NAME {
//	    kubeconfig PATH [CONTEXT]
//	    export_annotation KEY
//	    endpoints
//	    nodeports InternalIP|ExternalIP
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
		case "nodeports":
			args := c.RemainingArgs()
			if len(args) != 1 || (args[0] != "InternalIP" && args[0] != "ExternalIP") {
				return nil, c.Errf("peer %s: nodeports: want InternalIP or ExternalIP", p.Name)
			}
			p.ExternalIP = args[0] == "ExternalIP"
		default:
			return nil, c.Errf("peer %s: unknown property %q", p.Name, c.Val())
		}
	}
	if p.Kubeconfig == "" {
		return nil, c.Errf("peer %s: no kubeconfig: a peer is read only through its own", p.Name)
	}
	return p, nil
}

// Check loads the peer's kubeconfig without touching the network, for clusterdns
// -validate: a missing file, a missing context or a file that does not parse is an error
// naming the peer and the file.
func (c *Config) Check() error {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: c.Kubeconfig}
	over := &clientcmd.ConfigOverrides{CurrentContext: c.Context}
	if _, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, over).ClientConfig(); err != nil {
		return fmt.Errorf("peer %s: kubeconfig %s: %w", c.Name, c.Kubeconfig, err)
	}
	return nil
}
