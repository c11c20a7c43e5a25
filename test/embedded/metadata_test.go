package embedded

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"

	"github.com/miekg/dns"
)

// syncBuffer is a log output that the server writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The kubernetes/* metadata keys reach a log format through the metadata plugin, as with the
// kubernetes plugin.
func TestMetadataInLog(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "services.yaml")
	if err := os.WriteFile(manifest, []byte(transferManifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	saved := log.Writer()
	log.SetOutput(out)
	t.Cleanup(func() { log.SetOutput(saved) })
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    metadata
    log . "MD {name} kind={/kubernetes/kind} ns={/kubernetes/namespace} svc={/kubernetes/service} port={/kubernetes/port-name} proto={/kubernetes/protocol} err={/kubernetes/parse-error}"
    clusterdns cluster.local {
        manifests %s
    }
}
`, port, manifest))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	harness.ExpectNow(t, addr, "_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV, "NOERROR: SRV 0 100 80 web.default.svc.cluster.local.")
	harness.ExpectNow(t, addr, "web.default.nosuchkind.cluster.local.", dns.TypeA, "NXDOMAIN: ")
	want := []string{
		"MD _http._tcp.web.default.svc.cluster.local. kind=svc ns=default svc=web port=http proto=tcp err=-",
		"MD web.default.nosuchkind.cluster.local. kind=- ns=- svc=- port=- proto=- err=invalid query name",
	}
	// the log plugin writes after the reply: wait for its lines
	harness.Eventually(t, 5*time.Second, "log lines with metadata", func() (bool, string) {
		got := out.String()
		for _, w := range want {
			if !strings.Contains(got, w) {
				return false, got
			}
		}
		return true, ""
	})
}
