package kubedns

import (
	"fmt"
	"strings"
)

// Corefile prints the configuration as Corefile lines to merge into a server block: the
// stub domains as stub lines of the clusterdns block (shown with the default cluster zones),
// the upstream nameservers as the forward line that replaces `forward . /etc/resolv.conf`.
func (c *Config) Corefile() string {
	var b strings.Builder
	b.WriteString("# From kube-dns's ConfigMap: merge into the server block.\n")
	if len(c.Stubs) > 0 {
		b.WriteString("clusterdns cluster.local in-addr.arpa ip6.arpa {\n")
		for _, s := range c.Stubs {
			fmt.Fprintf(&b, "    stub %s %s\n", strings.TrimSuffix(s.Zone, "."), strings.Join(s.Resolvers, " "))
		}
		b.WriteString("}\n")
	}
	if len(c.Upstreams) > 0 {
		fmt.Fprintf(&b, "forward . %s\n", strings.Join(c.Upstreams, " "))
	}
	if len(c.Stubs) == 0 && len(c.Upstreams) == 0 {
		b.WriteString("# It sets neither stubDomains nor upstreamNameservers: nothing to add.\n")
	}
	return b.String()
}
