package integration

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestClaims is issue 12's tenant scenario: a LoadBalancer Service annotated with
// pay.claims.internal, then a Service of another namespace annotating the same name, then an
// Ingress listing it. Peered clients get the owner's address only, pods (a zone with
// inside) its ClusterIP; when the owner goes, the next oldest claimant takes over.
func TestClaims(t *testing.T) {
	e := k8senv.Get(t)
	logs := &claimsLog{}
	saved := log.Writer()
	log.SetOutput(io.MultiWriter(saved, logs))
	t.Cleanup(func() { log.SetOutput(saved) })
	shop, tenant := e.Namespace(t, "shop"), e.Namespace(t, "tenant")
	emptyAtEnd(t, e, shop, tenant)
	ctx := context.Background()
	pods, peered, promPort := harness.FreePort(t), harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    prometheus 127.0.0.1:%d
    clusterdns cluster.local {
        kubeconfig %s
        private claims.internal {
            services
            ingresses
            inside
        }
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private claims.internal {
            services
            ingresses
        }
    }
}
`, pods, promPort, e.Kubeconfig, peered, e.Kubeconfig))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)

	// lb creates a LoadBalancer Service with annotations and gives it the address ip, as a
	// cloud controller does; it returns the Service with its ClusterIP and creation time.
	lb := func(ns, name, ip string, annotations map[string]string) *corev1.Service {
		t.Helper()
		s := service(ns, name, "", svcPort{"https", corev1.ProtocolTCP, 443})
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Annotations = annotations
		create(t, e, s)
		setLoadBalancer(t, e, ns, name, corev1.LoadBalancerIngress{IP: ip})
		return getService(t, e, ns, name)
	}
	// later waits until the clock is past the second of created: creation times have a
	// second's resolution, and the next object must be younger, not a tie
	later := func(created metav1.Time) {
		t.Helper()
		harness.Eventually(t, 3*time.Second, "a creation time after "+created.String(), func() (bool, string) {
			return time.Now().Truncate(time.Second).After(created.Time), time.Now().String()
		})
	}
	conflicts := func(view string, want int) {
		t.Helper()
		line := fmt.Sprintf(`coredns_clusterdns_claims_conflicts{view=%q,zone="claims.internal."} %d`, view, want)
		harness.EventuallyEvery(t, 5*time.Second, 100*time.Millisecond, line, func() (bool, string) {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort))
			if err != nil {
				return false, err.Error()
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, l := range strings.Split(string(body), "\n") {
				if strings.Contains(l, "claims_conflicts") && strings.Contains(l, view) {
					return l == line, l
				}
			}
			return false, "no claims_conflicts line"
		})
	}

	owner := lb(shop, "pay", "10.128.1.1", map[string]string{
		"clusterdns.io/hostname":               "pay.claims.internal",
		"external-dns.alpha.kubernetes.io/ttl": "45",
	})
	harness.Expect(t, within, peerAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.1")
	harness.Expect(t, within, podAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A "+owner.Spec.ClusterIP)
	if r := harness.Query(t, peerAddr, "pay.claims.internal.", dns.TypeA); len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 45 {
		t.Fatalf("the ttl annotation: %v", r.Answer)
	}

	// a tenant's Service claims the name later: its own name proves the server saw it
	later(owner.CreationTimestamp)
	thief := lb(tenant, "pay", "10.128.1.66", map[string]string{"external-dns.kubernetes.io/hostname": "pay.claims.internal"})
	harness.Expect(t, within, peerAddr, "pay."+tenant+".claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.66")
	harness.Expect(t, within, podAddr, "pay."+tenant+".claims.internal.", dns.TypeA, "NOERROR: A "+thief.Spec.ClusterIP)
	harness.ExpectNow(t, peerAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.1")
	harness.ExpectNow(t, podAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A "+owner.Spec.ClusterIP)

	// and an Ingress listing it, later still, beside a host of its own
	later(thief.CreationTimestamp)
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "pay", Namespace: tenant}}
	ing.Spec.Rules = []networkingv1.IngressRule{{Host: "pay.claims.internal"}, {Host: "shop-front.claims.internal"}}
	ing, err := e.Client.NetworkingV1().Ingresses(tenant).Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		e.Client.NetworkingV1().Ingresses(tenant).Delete(context.Background(), "pay", metav1.DeleteOptions{})
	})
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.128.1.67"}}
	if _, err := e.Client.NetworkingV1().Ingresses(tenant).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "shop-front.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.67")
	harness.Expect(t, within, podAddr, "shop-front.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.67") // no in-cluster address known
	harness.ExpectNow(t, podAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A "+owner.Spec.ClusterIP)
	// the owner only, and it stays so
	harness.Stays(t, 2*time.Second, peerAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.1")
	harness.ExpectNow(t, peerAddr, "_https._tcp.pay.claims.internal.", dns.TypeSRV, "NOERROR: SRV 0 100 443 pay.claims.internal.")
	conflicts("outside", 2)
	conflicts("inside", 2)

	// the owner goes: the next oldest, the tenant's Service, has the name
	if err := e.Client.CoreV1().Services(shop).Delete(ctx, "pay", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.66")
	harness.Expect(t, within, podAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A "+thief.Spec.ClusterIP)
	conflicts("outside", 1)
	// then the Ingress, for pods too
	if err := e.Client.CoreV1().Services(tenant).Delete(ctx, "pay", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.67")
	harness.Expect(t, within, podAddr, "pay.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.67")
	conflicts("outside", 0)

	// internal-hostname: a ClusterIP Service's names for pods; the peered view has none
	db := service(shop, "db", "", svcPort{"postgres", corev1.ProtocolTCP, 5432})
	db.Annotations = map[string]string{"external-dns.alpha.kubernetes.io/internal-hostname": "db.claims.internal"}
	create(t, e, db)
	clusterIP := getService(t, e, shop, "db").Spec.ClusterIP
	harness.Expect(t, within, podAddr, "db.claims.internal.", dns.TypeA, "NOERROR: A "+clusterIP)
	harness.Expect(t, within, podAddr, "_postgres._tcp.db.claims.internal.", dns.TypeSRV, "NOERROR: SRV 0 100 5432 db.claims.internal.")
	// the peered view's sentinel: a Service exported after db
	sentinel := lb(shop, "sentinel", "10.128.1.99", map[string]string{"clusterdns.io/export": "true"})
	harness.Expect(t, within, peerAddr, "sentinel."+shop+".claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.99")
	harness.Expect(t, within, podAddr, "sentinel."+shop+".claims.internal.", dns.TypeA, "NOERROR: A "+sentinel.Spec.ClusterIP)
	harness.ExpectNow(t, peerAddr, "db.claims.internal.", dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, peerAddr, "db."+shop+".claims.internal.", dns.TypeA, "NXDOMAIN: ")

	// the target annotation replaces the load balancer for every name of the Service
	patched := getService(t, e, shop, "sentinel")
	patched.Annotations["external-dns.kubernetes.io/target"] = "edge.example.com"
	if _, err := e.Client.CoreV1().Services(shop).Update(ctx, patched, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, peerAddr, "sentinel."+shop+".claims.internal.", dns.TypeCNAME, "NOERROR: CNAME edge.example.com.")

	// a Service with unusable annotations: its good name is served with the zone's TTL,
	// each bad value is logged once (per view), and the rest of the zone keeps serving
	lb(shop, "odd", "10.128.1.77", map[string]string{
		"clusterdns.io/hostname":               "odd.claims.internal, bad_name!.claims.internal",
		"external-dns.kubernetes.io/ttl":       "soon",
		"external-dns.alpha.kubernetes.io/ttl": "60", // the older prefix is read first
	})
	harness.Expect(t, within, peerAddr, "odd.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.77")
	if r := harness.Query(t, peerAddr, "odd.claims.internal.", dns.TypeA); r.Answer[0].Header().Ttl != 60 {
		t.Errorf("odd.claims.internal. TTL %d, want the alpha annotation's 60", r.Answer[0].Header().Ttl)
	}
	odd := getService(t, e, shop, "odd")
	odd.Annotations["external-dns.alpha.kubernetes.io/ttl"] = "-1"
	if _, err := e.Client.CoreV1().Services(shop).Update(ctx, odd, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, within, "the bad TTL logged", func() (bool, string) {
		return strings.Contains(logs.String(), "is out of range"), logs.String()
	})
	harness.ExpectNow(t, peerAddr, "odd.claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.77")
	if r := harness.Query(t, peerAddr, "odd.claims.internal.", dns.TypeA); r.Answer[0].Header().Ttl != 30 {
		t.Errorf("odd.claims.internal. TTL %d, want the zone's 30 for a bad annotation", r.Answer[0].Header().Ttl)
	}
	harness.ExpectNow(t, peerAddr, "sentinel."+shop+".claims.internal.", dns.TypeCNAME, "NOERROR: CNAME edge.example.com.")
	// more rebuilds: the problems are not logged again
	lb(shop, "later", "10.128.1.78", map[string]string{"clusterdns.io/export": "true"})
	harness.Expect(t, within, peerAddr, "later."+shop+".claims.internal.", dns.TypeA, "NOERROR: A 10.128.1.78")
	harness.Expect(t, within, podAddr, "later."+shop+".claims.internal.", dns.TypeA, "NOERROR: A "+getService(t, e, shop, "later").Spec.ClusterIP)
	for _, msg := range []string{`"bad_name!.claims.internal" is not a valid host name`, "is out of range"} {
		if n := strings.Count(logs.String(), msg); n != 2 { // once in each view
			t.Errorf("%q logged %d times, want once per view:\n%s", msg, n, logs.String())
		}
	}
}

// claimsLog collects the log while servers write to it.
type claimsLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *claimsLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *claimsLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
