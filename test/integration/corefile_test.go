package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/k8senv"
	"github.com/clusterdns/clusterdns/test/testnet"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// localize adapts a shipped Corefile to the test machine and changes nothing else: free
// loopback ports for DNS, health, ready and metrics, the test API server's kubeconfig
// (there is no in-cluster config here), and a loopback forwarder instead of
// /etc/resolv.conf (tests send no traffic off this machine).
func localize(t *testing.T, path, plugin, kubeconfig string) (corefile string, dnsPort int) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	dnsPort = testnet.FreePort(t)
	s = strings.Replace(s, ".:53 {", fmt.Sprintf(".:%d {\n    bind 127.0.0.1", dnsPort), 1)
	s = regexp.MustCompile(`(?m)^(\s*)health \{`).ReplaceAllString(s, fmt.Sprintf("${1}health 127.0.0.1:%d {", testnet.FreePort(t)))
	s = regexp.MustCompile(`(?m)^(\s*)ready$`).ReplaceAllString(s, fmt.Sprintf("${1}ready 127.0.0.1:%d", testnet.FreePort(t)))
	s = strings.Replace(s, "prometheus :9153", fmt.Sprintf("prometheus 127.0.0.1:%d", testnet.FreePort(t)), 1)
	s = strings.Replace(s, "forward . /etc/resolv.conf", fmt.Sprintf("forward . 127.0.0.1:%d", testnet.FreePort(t)), 1)
	s = strings.Replace(s, plugin+" cluster.local in-addr.arpa ip6.arpa {",
		plugin+" cluster.local in-addr.arpa ip6.arpa {\n       kubeconfig "+kubeconfig, 1)
	// the peered view: its own port, the same API server, zone files from zones/
	peeredPort := testnet.FreePort(t)
	s = strings.Replace(s, ".:5353 {", fmt.Sprintf(".:%d {\n    bind 127.0.0.1", peeredPort), 1)
	s = strings.Replace(s, "clusterdns {", "clusterdns {\n       kubeconfig "+kubeconfig, 1)
	s = strings.ReplaceAll(s, "/etc/coredns/", filepath.Join(filepath.Dir(file), "..", "..", "zones")+"/")
	peered[s] = peeredPort
	return s, dnsPort
}

// peered remembers the port of the peered view of each localized Corefile.
var peered = map[string]int{}

// Existing CoreDNS Corefiles run unchanged: kubeadm's default, and ours that swaps the
// kubernetes plugin for clusterdns.
func TestShippedCorefilesRun(t *testing.T) {
	e := k8senv.Get(t)
	ns := e.Namespace(t, "corefile")
	create(t, e, service(ns, "api", "", svcPort{"http", corev1.ProtocolTCP, 80}))
	want := "NOERROR: A " + getService(t, e, ns, "api").Spec.ClusterIP
	for _, c := range []struct{ file, plugin string }{
		{"corefile/Corefile.kubeadm", "kubernetes"},
		{"corefile/Corefile", "clusterdns"},
	} {
		t.Run(c.file, func(t *testing.T) {
			corefile, port := localize(t, c.file, c.plugin, e.Kubeconfig)
			startServer(t, corefile)
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			expectAnswer(t, addr, "api."+ns+".svc.cluster.local.", dns.TypeA, want)
			expectAnswer(t, addr, "dns-version.cluster.local.", dns.TypeTXT, `NOERROR: TXT "1.1.0"`)
			if p, ok := peered[corefile]; ok && strings.Contains(corefile, "private mycompany.internal") {
				peer := fmt.Sprintf("127.0.0.1:%d", p)
				for _, a := range []string{addr, peer} {
					expectAnswer(t, a, "web.mycompany.internal.", dns.TypeA, "NOERROR: A 10.20.0.80")
					expectAnswer(t, a, "ads.mesh.private.", dns.TypeA, "NOERROR: A 10.0.0.1")
				}
				expectAnswer(t, peer, "api."+ns+".svc.cluster.local.", dns.TypeA, "REFUSED: ")
				expectAnswer(t, peer, "example.com.", dns.TypeA, "REFUSED: ")
			}
		})
	}
}
