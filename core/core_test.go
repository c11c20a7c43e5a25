package core

import (
	"slices"
	"testing"

	"github.com/coredns/coredns/core/dnsserver"
)

func TestDirectiveOrder(t *testing.T) {
	i := slices.Index(dnsserver.Directives, "clusterdns")
	if i < 0 || dnsserver.Directives[i+1] != Anchor {
		t.Fatalf("clusterdns at %d, want directly before %s: %v", i, Anchor, dnsserver.Directives)
	}
	// CoreDNS's transfer plugin serves the private and cluster zones' AXFR and IXFR: it must see them
	// before clusterdns, which refuses what transfer leaves
	if x := slices.Index(dnsserver.Directives, "transfer"); x < 0 || x > i {
		t.Fatalf("transfer at %d, clusterdns at %d: want transfer first", x, i)
	}
	// autopath (`autopath @clusterdns`) completes a query with the search path before it
	// reaches clusterdns, so it must come first in the chain
	if x := slices.Index(dnsserver.Directives, "autopath"); x < 0 || x > i {
		t.Fatalf("autopath at %d, clusterdns at %d: want autopath first", x, i)
	}
	if err := insertDirective(); err != nil || slices.Index(dnsserver.Directives, "clusterdns") != i {
		t.Fatalf("second insert changed the order or failed: %v", err)
	}
}

func TestMissingAnchor(t *testing.T) {
	saved := dnsserver.Directives
	defer func() { dnsserver.Directives = saved }()
	dnsserver.Directives = []string{"forward"}
	if err := insertDirective(); err == nil {
		t.Fatal("no error without the anchor")
	}
}
