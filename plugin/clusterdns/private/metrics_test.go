package private

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A rebuild counts, times and describes what it published: the serial and the records
// served; one that publishes nothing new still counts as a rebuild.
func TestZoneMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.metrics.private")
	file := `$ORIGIN metrics.private.
$TTL 30
@ IN SOA ns hostmaster 5 7200 1800 86400 30
@ IN NS ns
ns IN A 10.0.0.53
`
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	st := model.NewStore()
	st.SetNamespace("shop", true)
	st.SetSynced()
	z := New(&Config{Sources: Sources{Zone: "metrics.private.", Services: ExportAnnotated, TTL: 30}, File: path}, t.Logf)
	if err := z.Start(st, time.Hour); err != nil {
		t.Fatal(err)
	}
	defer z.Stop()
	rebuilds := testutil.ToFloat64(zoneRebuilds.WithLabelValues("metrics.private.", "outside"))
	if rebuilds < 1 {
		t.Fatalf("rebuilds = %v after Start, want at least 1", rebuilds)
	}
	if got := testutil.ToFloat64(zoneRecords.WithLabelValues("metrics.private.", "outside")); got != 3 {
		t.Fatalf("records = %v, want 3 (SOA, NS, A)", got)
	}
	if got, want := testutil.ToFloat64(zoneSerial.WithLabelValues("metrics.private.", "outside")), float64(z.Current().Serial()); got != want {
		t.Fatalf("serial = %v, want %v", got, want)
	}
	if err := z.rebuild(); err != nil { // nothing changed: counted, serial kept
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(zoneRebuilds.WithLabelValues("metrics.private.", "outside")); got != rebuilds+1 {
		t.Fatalf("rebuilds = %v, want %v", got, rebuilds+1)
	}
	if got := testutil.CollectAndCount(zoneRebuildDuration, "coredns_clusterdns_private_zone_rebuild_duration_seconds"); got == 0 {
		t.Fatal("no rebuild duration observed")
	}
	if got := testutil.ToFloat64(zoneBuildFailures.WithLabelValues("metrics.private.", "outside")); got != 0 {
		t.Fatalf("build failures = %v, want 0", got)
	}
}
