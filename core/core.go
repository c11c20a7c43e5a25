// Package core links every in-tree CoreDNS plugin and the clusterdns plugin into the
// server, and puts clusterdns in the plugin chain directly before kubernetes. Import it for
// its side effects (the binary and the end-to-end tests do).
package core

import (
	"fmt"
	"os"
	"slices"

	_ "github.com/clusterdns/clusterdns/plugin/clusterdns" // the clusterdns plugin
	"github.com/coredns/coredns/core/dnsserver"
	_ "github.com/coredns/coredns/core/plugin" // every in-tree CoreDNS plugin
)

// Anchor is the directive clusterdns is inserted before.
const Anchor = "kubernetes"

func init() {
	if err := insertDirective(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func insertDirective() error {
	if slices.Contains(dnsserver.Directives, "clusterdns") {
		return nil
	}
	i := slices.Index(dnsserver.Directives, Anchor)
	if i < 0 {
		return fmt.Errorf("clusterdns: directive %q is missing from CoreDNS's plugin order; cannot place clusterdns", Anchor)
	}
	dnsserver.Directives = slices.Insert(dnsserver.Directives, i, "clusterdns")
	return nil
}
