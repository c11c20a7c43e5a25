package index

import (
	"net"
	"net/netip"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"
	"github.com/clusterdns/clusterdns/plugin/clusterdns/pmap"
)

// TestOverlay: a name in both the base and the overlay answers both, the base's first; the
// names below a Service of the base are still answered from it; the base is unchanged.
func TestOverlay(t *testing.T) {
	cfg := &Config{MultiCluster: true}
	svc := &model.Service{Meta: model.Meta{Name: "web", Namespace: "ns"}, ClusterIPs: []netip.Addr{netip.MustParseAddr("10.100.0.1")},
		Ports: []model.Port{{Name: "http", Protocol: "TCP", Port: 80}}}
	tx := new(pmap.Map[*Node]).Txn()
	tx.Set("svc", Empty)
	tx.Set("ns.svc", Empty)
	tx.Set("web.ns.svc", newService(svc, nil, cfg))
	base := &Snapshot{Names: tx.Commit(), Synced: true, Serial: 5}

	peerIP := net.ParseIP("192.0.2.1").To4()
	extra := map[string]*Node{
		"svc":         Empty,
		"ns.svc":      Empty,
		"web.ns.svc":  {A: []net.IP{peerIP}, SRV: []SRV{{Port: 80, Weight: 100, Target: "web.ns.svc."}}},
		"only.ns.svc": {A: []net.IP{peerIP}},
	}
	snap := Overlay(base, extra, 7)

	web := snap.Lookup("web.ns.svc")
	if web == nil || len(web.A) != 2 || web.A[0].String() != "10.100.0.1" || web.A[1].String() != "192.0.2.1" {
		t.Fatalf("web.ns.svc A = %v, want the base's address then the overlay's", web)
	}
	if len(web.SRV) != 1 {
		t.Errorf("web.ns.svc SRV = %v, want the one record both have", web.SRV)
	}
	if n := snap.Lookup("_http._tcp.web.ns.svc"); n == nil || len(n.SRV) != 1 {
		t.Errorf("_http._tcp.web.ns.svc = %v, want the base's SRV record", n)
	}
	if n := snap.Lookup("only.ns.svc"); n == nil || len(n.A) != 1 {
		t.Errorf("only.ns.svc = %v, want the overlay's name", n)
	}
	if snap.Get("ns.svc") != Empty || snap.Serial != 7 || !snap.Synced {
		t.Errorf("ns.svc %v, serial %d, synced %v; want Empty, 7, true", snap.Get("ns.svc"), snap.Serial, snap.Synced)
	}
	if b := base.Lookup("web.ns.svc"); len(b.A) != 1 || base.Lookup("only.ns.svc") != nil {
		t.Errorf("the base changed: web %v, only %v", b, base.Lookup("only.ns.svc"))
	}
}
