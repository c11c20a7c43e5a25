package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/bindtest"
	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestStubZones runs stub zones in the pods' view against two BIND instances serving the
// corporate zone: ExternalName Services pointing into it answer CNAME and A in one
// response, answers survive one resolver going away, and a kube-dns ConfigMap's stubDomains
// are followed while the server runs. The peered view does not see stub zones it does not list.
func TestStubZones(t *testing.T) {
	e := k8senv.Get(t)
	corp := []bindtest.Zone{
		{Origin: "myco.com.", File: "../../plugin/clusterdns/stub/testdata/db.myco.com"},
		{Origin: "corp.example.", File: "testdata/db.corp.example"},
	}
	bind1, bind2 := bindtest.Start(t, corp...), bindtest.Start(t, corp...)
	kubeDNS := t.TempDir()
	writeFile(t, filepath.Join(kubeDNS, "stubDomains"), `{}`)
	pods, peered := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        stub myco.com %s %s {
            health_check 200ms
        }
        stubdomains %s
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private mycompany.internal {
            file ../../zones/db.mycompany.internal
        }
    }
}
`, pods, e.Kubeconfig, bind1.Addr, bind2.Addr, kubeDNS, peered, e.Kubeconfig))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)

	harness.Expect(t, within, podAddr, "database.myco.com.", dns.TypeA, "NOERROR: A 10.1.0.10")
	harness.ExpectNow(t, podAddr, "missing.myco.com.", dns.TypeA, "NXDOMAIN: ")       // BIND's answer, the stub zone is up
	harness.Expect(t, within, peerAddr, "database.myco.com.", dns.TypeA, "REFUSED: ") // not listed there

	// an ExternalName into the stub zone: the CNAME and the target's address together
	ns := e.Namespace(t, "stub")
	db := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "database.myco.com"}}
	if _, err := e.Client.CoreV1().Services(ns).Create(context.Background(), db, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, podAddr, "db."+ns+".svc.cluster.local.", dns.TypeA, "NOERROR: A 10.1.0.10, CNAME database.myco.com.")

	// one resolver stops: answers keep coming from the other
	bind1.Stop()
	start := time.Now()
	for i := range 50 {
		r := harness.Query(t, podAddr, "database.myco.com.", dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
			t.Fatalf("query %d after one resolver stopped: %s", i, harness.Answers(r))
		}
	}
	t.Logf("50 answers in %v with one of two resolvers down", time.Since(start))
	bind1.Start()

	// a kube-dns ConfigMap: stub domains come and go without a restart
	writeFile(t, filepath.Join(kubeDNS, "stubDomains"), fmt.Sprintf(`{"corp.example": [%q]}`, bind2.Addr))
	harness.Eventually(t, 5*time.Second, "wiki.corp.example through stubDomains", func() (bool, string) {
		got := harness.Answers(harness.Query(t, podAddr, "wiki.corp.example.", dns.TypeA))
		return got == "NOERROR: A 10.2.0.80", got
	})
	writeFile(t, filepath.Join(kubeDNS, "stubDomains"), `{not json`)
	// the last good one stays, over three polls of the ConfigMap
	harness.Stays(t, 3*stubPoll, podAddr, "wiki.corp.example.", dns.TypeA, "NOERROR: A 10.2.0.80")
	writeFile(t, filepath.Join(kubeDNS, "stubDomains"), `{}`)
	harness.Eventually(t, 5*time.Second, "corp.example gone", func() (bool, string) {
		r := harness.Query(t, podAddr, "wiki.corp.example.", dns.TypeA)
		return r.Rcode != dns.RcodeSuccess, harness.Answers(r)
	})
}

// stubPoll is how often the server reads the kube-dns ConfigMap (its default).
const stubPoll = 2 * time.Second

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
