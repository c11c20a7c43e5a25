package embedded

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// `autopath @clusterdns` starts (autopath finds our handler by name and its AutoPather) and,
// while clusterdns keeps no pods to know a client's namespace, leaves queries alone.
func TestAutoPathStarts(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "services.yaml")
	if err := os.WriteFile(manifest, []byte(transferManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    autopath @clusterdns
    clusterdns cluster.local {
        manifests %s
    }
}
`, port, manifest))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.ExpectNow(t, addr, "web.default.svc.cluster.local.", dns.TypeA, "NOERROR: A 10.96.0.10")
	harness.ExpectNow(t, addr, "web.default.svc.cluster.local.default.svc.cluster.local.", dns.TypeA, "NXDOMAIN: ")
}
