package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// Existing CoreDNS Corefiles run unchanged: kubeadm's default, and ours that swaps the
// kubernetes plugin for clusterdns.
func TestShippedCorefilesRun(t *testing.T) {
	e := k8senv.Get(t)
	ns := e.Namespace(t, "corefile")
	create(t, e, service(ns, "api", "", svcPort{"http", corev1.ProtocolTCP, 80}))
	want := "NOERROR: A " + getService(t, e, ns, "api").Spec.ClusterIP
	_, self, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(self), "..", "..")
	for _, file := range []string{"corefile/Corefile.kubeadm", "corefile/Corefile"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, file))
			if err != nil {
				t.Fatal(err)
			}
			corefile, ports := harness.Localize(t, string(b), e.Kubeconfig, filepath.Join(root, "zones"))
			harness.Start(t, corefile)
			addr := fmt.Sprintf("127.0.0.1:%d", ports["53"])
			harness.Expect(t, within, addr, "api."+ns+".svc.cluster.local.", dns.TypeA, want)
			harness.Expect(t, within, addr, "dns-version.cluster.local.", dns.TypeTXT, `NOERROR: TXT "1.1.0"`)
			if p, ok := ports["5353"]; ok {
				peer := fmt.Sprintf("127.0.0.1:%d", p)
				for _, a := range []string{addr, peer} {
					harness.Expect(t, within, a, "web.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.80")
					harness.Expect(t, within, a, "ads.mesh.private.", dns.TypeA, "NOERROR: A 10.0.0.1")
				}
				harness.Expect(t, within, peer, "api."+ns+".svc.cluster.local.", dns.TypeA, "REFUSED: ")
				harness.Expect(t, within, peer, "example.com.", dns.TypeA, "REFUSED: ")
			}
		})
	}
}
