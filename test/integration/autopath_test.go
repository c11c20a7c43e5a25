package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAutoPathDifferential: `autopath @clusterdns` and `autopath @kubernetes`, both with
// pods verified, answer a pod's queries alike. The client pod has the address the test
// queries from, 127.0.0.1.
func TestAutoPathDifferential(t *testing.T) {
	e := k8senv.Get(t)
	ours, theirs := harness.FreePort(t), harness.FreePort(t)
	block := func(plugin string, port int) string {
		return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    autopath @%s
    %s cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s
        pods verified
    }
}
`, port, plugin, plugin, e.Kubeconfig)
	}
	harness.Start(t, block("clusterdns", ours)+block("kubernetes", theirs))
	ns := e.Namespace(t, "autopath")
	emptyAtEnd(t, e, ns)
	corpus(t, e, ns)
	// the only pod with 127.0.0.1 in the API server: with several namespaces' pods on the
	// address, ours would find no client pod (a documented difference)
	createPod(t, e, ns, "client", corev1.PodRunning, "127.0.0.1")
	t.Cleanup(func() {
		if err := e.Client.CoreV1().Pods(ns).Delete(context.Background(), "client", metav1.DeleteOptions{}); err != nil {
			t.Error(err)
		}
	})
	oursAddr, theirsAddr := fmt.Sprintf("127.0.0.1:%d", ours), fmt.Sprintf("127.0.0.1:%d", theirs)
	search := ns + ".svc.cluster.local."
	probe := "web." + ns + ".svc.cluster.local." + search // found through the search path
	for _, a := range []string{oursAddr, theirsAddr} {
		harness.Eventually(t, within, "client pod and corpus at "+a, func() (bool, string) {
			m := harness.Query(t, a, probe, dns.TypeA)
			last := harness.Query(t, a, "last."+search, dns.TypeA)
			return len(m.Answer) > 1 && len(last.Answer) > 0, harness.Answers(m)
		})
	}
	var names []string
	for _, s := range []string{"web", "db", "db-0.db", "alias", "six", "missing", "_http._tcp.web"} {
		names = append(names, s+"."+search, s+"."+search+search, s+"."+ns+".svc.cluster.local.svc.cluster.local.",
			s+"."+search+"svc.cluster.local.")
	}
	names = append(names, "example.invalid."+search, search, "svc.cluster.local."+search, "cluster.local."+search)
	var same, cnames int
	for _, name := range names {
		// no TXT: at svc.ZONE and ZONE, which autopath reaches last, it differs as documented
		// (difference 1), which the differential test checks
		for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeSRV, dns.TypeCNAME} {
			mo, mt := harness.Query(t, oursAddr, name, qt), harness.Query(t, theirsAddr, name, qt)
			so, st := summarize(mo), summarize(mt)
			if so != st {
				t.Errorf("%s %s differs\n clusterdns: %s\n kubernetes: %s", name, dns.TypeToString[qt], so, st)
				continue
			}
			same++
			if len(mo.Answer) > 0 && mo.Answer[0].Header().Rrtype == dns.TypeCNAME && strings.HasSuffix(name, search+search) {
				cnames++ // autopath's answer: the name asked, a CNAME to the one found
			}
		}
	}
	t.Logf("%d queries identical, %d of them answered through the search path", same, cnames)
	if cnames < 5 {
		t.Errorf("only %d answers came through autopath: the comparison proves too little", cnames)
	}
}
