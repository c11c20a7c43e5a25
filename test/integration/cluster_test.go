package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func clusterCorefile(port int, kubeconfig string) string {
	return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s
        ttl 30
    }
}
`, port, kubeconfig)
}

func TestServicesFollowTheAPI(t *testing.T) {
	e := k8senv.Get(t)
	port := harness.FreePort(t)
	harness.Start(t, clusterCorefile(port, e.Kubeconfig))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ns := e.Namespace(t, "follow")
	ctx := context.Background()
	name := func(s string) string { return s + "." + ns + ".svc.cluster.local." }

	// ClusterIP, dual-stack, with named ports
	web := service(ns, "web", "", svcPort{"http", corev1.ProtocolTCP, 80}, svcPort{"dns", corev1.ProtocolUDP, 53})
	web.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	create(t, e, web)
	web = getService(t, e, ns, "web")
	if len(web.Spec.ClusterIPs) != 2 {
		t.Fatalf("want a dual-stack service, got %v", web.Spec.ClusterIPs)
	}
	v4, v6 := web.Spec.ClusterIPs[0], web.Spec.ClusterIPs[1]
	harness.Expect(t, within, addr, name("web"), dns.TypeA, "NOERROR: A "+v4)
	harness.Expect(t, within, addr, name("web"), dns.TypeAAAA, "NOERROR: AAAA "+v6)
	harness.Expect(t, within, addr, "_http._tcp."+name("web"), dns.TypeSRV, "NOERROR: SRV 0 50 80 "+name("web"))
	harness.Expect(t, within, addr, "_dns._udp."+name("web"), dns.TypeSRV, "NOERROR: SRV 0 50 53 "+name("web"))
	rev4, _ := dns.ReverseAddr(v4)
	rev6, _ := dns.ReverseAddr(v6)
	harness.Expect(t, within, addr, rev4, dns.TypePTR, "NOERROR: PTR "+name("web"))
	harness.Expect(t, within, addr, rev6, dns.TypePTR, "NOERROR: PTR "+name("web"))

	// headless: endpoints appear, change readiness, go away
	create(t, e, service(ns, "db", corev1.ClusterIPNone, svcPort{"pg", corev1.ProtocolTCP, 5432}))
	settleServices(t, e, ns, addr)
	harness.ExpectNow(t, addr, name("db"), dns.TypeA, "NXDOMAIN: ") // no endpoints yet
	pg := []svcPort{{"pg", corev1.ProtocolTCP, 5432}}
	sl := slice(ns, "db-1", "db", discoveryv1.AddressTypeIPv4, pg,
		endpoint{ip: "10.244.1.1", hostname: "db-0"}, endpoint{ip: "10.244.1.2", hostname: "db-1", ready: ptr.To(false)})
	create(t, e, sl)
	harness.Expect(t, within, addr, name("db"), dns.TypeA, "NOERROR: A 10.244.1.1")
	harness.Expect(t, within, addr, "db-0."+name("db"), dns.TypeA, "NOERROR: A 10.244.1.1")
	harness.ExpectNow(t, addr, "db-1."+name("db"), dns.TypeA, "NXDOMAIN: ") // not ready: seen with db-0, same slice
	harness.Expect(t, within, addr, "_pg._tcp."+name("db"), dns.TypeSRV, "NOERROR: SRV 0 100 5432 db-0."+name("db"))
	harness.Expect(t, within, addr, "1.1.244.10.in-addr.arpa.", dns.TypePTR, "NOERROR: PTR db-0."+name("db"))

	sl, err := e.Client.DiscoveryV1().EndpointSlices(ns).Get(ctx, "db-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sl.Endpoints[1].Conditions.Ready = ptr.To(true)
	if _, err := e.Client.DiscoveryV1().EndpointSlices(ns).Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, name("db"), dns.TypeA, "NOERROR: A 10.244.1.1, A 10.244.1.2")
	harness.Expect(t, within, addr, "db-1."+name("db"), dns.TypeA, "NOERROR: A 10.244.1.2")

	if sl, err = e.Client.DiscoveryV1().EndpointSlices(ns).Get(ctx, "db-1", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	sl.Endpoints[0].Conditions.Terminating = ptr.To(true)
	if _, err := e.Client.DiscoveryV1().EndpointSlices(ns).Update(ctx, sl, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, name("db"), dns.TypeA, "NOERROR: A 10.244.1.2")

	if err := e.Client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, "db-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	settleSlices(t, e, ns, addr)
	harness.ExpectNow(t, addr, name("db"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "1.1.244.10.in-addr.arpa.", dns.TypePTR, "NXDOMAIN: ")

	// a service without selector whose slice is written by hand (an external database)
	create(t, e, service(ns, "legacy-db", "", svcPort{"mysql", corev1.ProtocolTCP, 3306}),
		slice(ns, "legacy-db-1", "legacy-db", discoveryv1.AddressTypeIPv4, []svcPort{{"mysql", corev1.ProtocolTCP, 3306}},
			endpoint{ip: "192.0.2.10"}))
	legacy := getService(t, e, ns, "legacy-db").Spec.ClusterIP
	harness.Expect(t, within, addr, name("legacy-db"), dns.TypeA, "NOERROR: A "+legacy)
	harness.Expect(t, within, addr, "192-0-2-10."+name("legacy-db"), dns.TypeA, "NOERROR: A 192.0.2.10")

	// ExternalName to an in-cluster name: CNAME and the target's address in one answer
	ext := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "alias", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "legacy-db." + ns + ".svc.cluster.local"}}
	create(t, e, ext)
	harness.Expect(t, within, addr, name("alias"), dns.TypeA, "NOERROR: A "+legacy+", CNAME "+name("legacy-db"))

	// updates and deletes
	web.Spec.Ports = append(web.Spec.Ports, corev1.ServicePort{Name: "grpc", Protocol: corev1.ProtocolTCP, Port: 9090})
	if _, err := e.Client.CoreV1().Services(ns).Update(ctx, web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, "_grpc._tcp."+name("web"), dns.TypeSRV, "NOERROR: SRV 0 50 9090 "+name("web"))
	if err := e.Client.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	settleServices(t, e, ns, addr)
	harness.ExpectNow(t, addr, name("web"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, rev4, dns.TypePTR, "NXDOMAIN: ")

	// a namespace exists as an empty non-terminal; one that does not is NXDOMAIN
	harness.ExpectNow(t, addr, ns+".svc.cluster.local.", dns.TypeA, "NOERROR: ")
	harness.ExpectNow(t, addr, "no-such-ns.svc.cluster.local.", dns.TypeA, "NXDOMAIN: ")
}

// Before the first sync (here: an API server that never answers) cluster names are SERVFAIL
// and the ready plugin reports not ready.
func TestUnsyncedIsServfail(t *testing.T) {
	port, readyPort := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    ready 127.0.0.1:%d
    clusterdns cluster.local {
        endpoint http://127.0.0.1:1
    }
}
`, port, readyPort))
	m := harness.Query(t, fmt.Sprintf("127.0.0.1:%d", port), "kubernetes.default.svc.cluster.local.", dns.TypeA)
	if m.Rcode != dns.RcodeServerFailure {
		t.Fatalf("rcode %s, want SERVFAIL", dns.RcodeToString[m.Rcode])
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/ready", readyPort))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("ready plugin reports ready before the first sync")
	}
}

// The plugin's metrics are exported in CoreDNS naming.
func TestMetrics(t *testing.T) {
	e := k8senv.Get(t)
	port, promPort := harness.FreePort(t), harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    prometheus 127.0.0.1:%d
    clusterdns cluster.local {
        kubeconfig %s
    }
}
`, port, promPort, e.Kubeconfig))
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`coredns_clusterdns_objects{kind="namespace",source="kube:`,
		`coredns_clusterdns_informer_synced{source="kube:`,
		`coredns_clusterdns_snapshot_publications_total{zone="cluster.local."}`,
		`coredns_clusterdns_snapshot_publish_duration_seconds_count{zone="cluster.local."}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A reload must not drop queries, leak goroutines or add watches.
func TestReloadKeepsInformers(t *testing.T) {
	e := k8senv.Get(t)
	port := harness.FreePort(t)
	corefile := clusterCorefile(port, e.Kubeconfig)
	inst := harness.Start(t, corefile)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ns := e.Namespace(t, "reload")
	create(t, e, service(ns, "stable", "", svcPort{"http", corev1.ProtocolTCP, 80}))
	want := "NOERROR: A " + getService(t, e, ns, "stable").Spec.ClusterIP
	qname := "stable." + ns + ".svc.cluster.local."
	harness.Expect(t, within, addr, qname, dns.TypeA, want)

	var stop atomic.Bool
	var failures, answered atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := &dns.Client{Timeout: time.Second}
		m := new(dns.Msg)
		m.SetQuestion(qname, dns.TypeA)
		for !stop.Load() {
			r, _, err := c.Exchange(m, addr)
			if err != nil || harness.Answers(r) != want {
				failures.Add(1)
			} else {
				answered.Add(1)
			}
		}
	}()
	baseline := runtime.NumGoroutine()
	// the API server's own controllers watch services too: compare with the count before
	watchesBefore := watches(t, e, "services")
	for range 3 {
		next, err := inst.Restart(coretest.NewInput(corefile))
		if err != nil {
			t.Fatal(err)
		}
		inst = next
	}
	t.Cleanup(func() { inst.Stop(); inst.ShutdownCallbacks() })
	// answers go on after the last reload: 100 more queries, not a while
	after := answered.Load()
	harness.Eventually(t, 5*time.Second, "100 queries answered after the reloads", func() (bool, string) {
		n := answered.Load() - after
		return n >= 100, fmt.Sprint(n, " answered")
	})
	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d queries failed or got a wrong answer during reloads", n)
	}
	if g := runtime.NumGoroutine(); g > baseline+10 {
		t.Errorf("goroutines grew from %d to %d over 3 reloads", baseline, g)
	}
	if n := watches(t, e, "services"); n != watchesBefore {
		t.Errorf("%d watches on services after 3 reloads, %d before", n, watchesBefore)
	}
}

// watches reads the API server's count of open WATCH requests for a resource.
func watches(t testing.TB, e *k8senv.Env, resource string) int {
	t.Helper()
	body, err := e.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "apiserver_longrunning_requests{") && strings.Contains(line, `resource="`+resource+`"`) &&
			strings.Contains(line, `verb="WATCH"`) {
			var n float64
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &n)
			return int(n)
		}
	}
	return 0
}
