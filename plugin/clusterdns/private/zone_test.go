package private

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

const meshFile = `$ORIGIN mesh.private.
$TTL 30
@ IN SOA ns hostmaster 5 7200 1800 86400 30
@ IN NS ns
ns IN A 10.0.0.53
* IN A 10.0.0.1
`

func answer(z *Zone, name string) string {
	res := z.Current().Lookup(name, dns.TypeA)
	if len(res.Answer) == 0 {
		return dns.RcodeToString[res.Rcode]
	}
	return res.Answer[0].(*dns.A).A.String()
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
	}
}

// The file and the cluster merge into one zone; every change of either raises the serial,
// a broken file keeps the last good zone, and changes that alter nothing keep the serial.
func TestZoneFollowsFileAndCluster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.mesh.private")
	if err := os.WriteFile(path, []byte(meshFile), 0o644); err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.SetNamespace("shop", true)
	st.SetSynced()
	cfg := &Config{Sources: Sources{Zone: "mesh.private.", Mesh: true, TTL: 30}, File: path}
	var logged, notified atomic.Int32
	z := New(cfg, func(string, ...any) { logged.Add(1) })
	z.Changed = func(uint32) { notified.Add(1) }
	if err := z.Start(st, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	defer z.Stop()
	if z.Ready() || !z.Listed() {
		t.Fatalf("ready %v, listed %v: want answers held back until the VirtualServices are listed, readiness not", z.Ready(), z.Listed())
	}
	st.SetKindSynced(model.KindVirtualService)
	eventually(t, "ready", z.Ready)
	serial := z.Current().Serial()
	if serial < uint32(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("serial %d: want at least the Unix time", serial)
	}

	st.UpsertVirtualService(&model.VirtualService{Meta: model.Meta{Namespace: "shop", Name: "ads", ResourceVersion: "1"},
		Hosts: []string{"ads.mesh.private."}, Gateways: []string{MeshGateway}})
	eventually(t, "mesh host", func() bool { return z.Current().Serial() > serial })
	if got := answer(z, "ads.mesh.private."); got != "10.0.0.1" {
		t.Fatalf("ads.mesh.private. = %s", got)
	}
	serial = z.Current().Serial()

	// an unrelated change publishes nothing
	// (rebuild is what the zone's loop runs on a change; called here, it has provably seen
	// the Ingress when it returns, with no wait)
	st.UpsertIngress(&model.Ingress{Meta: model.Meta{Namespace: "shop", Name: "x", ResourceVersion: "1"}})
	if err := z.rebuild(); err != nil {
		t.Fatal(err)
	}
	if z.Current().Serial() != serial {
		t.Fatal("serial changed without a change of records")
	}

	// the file changes: the wildcard goes, the mesh host stays with no address to give
	os.WriteFile(path, []byte(meshFile[:len(meshFile)-len("* IN A 10.0.0.1\n")]+"web IN A 10.0.0.80\n"), 0o644)
	eventually(t, "file change", func() bool { return answer(z, "web.mesh.private.") == "10.0.0.80" })
	if got := answer(z, "other.mesh.private."); got != "NXDOMAIN" {
		t.Fatalf("other.mesh.private. = %s after the wildcard went", got)
	}
	if z.Current().Serial() <= serial {
		t.Fatal("serial did not increase")
	}

	// a broken file: logged, the last good zone stays
	os.WriteFile(path, []byte(meshFile+"bad IN A not-an-address\n"), 0o644)
	eventually(t, "error logged", func() bool { return logged.Load() > 0 })
	if got := answer(z, "web.mesh.private."); got != "10.0.0.80" {
		t.Fatalf("web.mesh.private. = %s after a broken edit", got)
	}
	if n := notified.Load(); n < 3 {
		t.Fatalf("Changed called %d times", n)
	}
}

func TestHighestSerial(t *testing.T) {
	for _, c := range []struct {
		serials []uint32
		want    uint32
	}{
		{nil, 0},
		{[]uint32{7}, 7},
		{[]uint32{3_000_000_000}, 3_000_000_000}, // 2^31 or more ahead of 0: still the peer's
		{[]uint32{5, 9, 7}, 9},
		{[]uint32{4_294_967_000, 10}, 10}, // 10 is after 4294967000: the serial wrapped
	} {
		if got := highestSerial(c.serials); got != c.want {
			t.Errorf("highestSerial(%v) = %d, want %d", c.serials, got, c.want)
		}
	}
}
