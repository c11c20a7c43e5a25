package integration

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"
)

var (
	istioGatewayGVR  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "gateways"}
	serviceEntryGVR  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "serviceentries"}
	knativeRouteGVR  = schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1", Resource: "routes"}
	domainMappingGVR = schema.GroupVersionResource{Group: "serving.knative.dev", Version: "v1beta1", Resource: "domainmappings"}
)

// logLines captures what the server logs (CoreDNS logs through the standard logger), for
// the checks that bad objects are reported.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func captureLog(t *testing.T) *logLines {
	out := &logLines{}
	saved := log.Writer()
	log.SetOutput(out)
	t.Cleanup(func() { log.SetOutput(saved) })
	return out
}

// expectLogged waits until the server has logged a line containing want.
func (l *logLines) expectLogged(t *testing.T, want string) {
	t.Helper()
	harness.Eventually(t, within, "log line "+want, func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return strings.Contains(l.buf.String(), want), l.buf.String()
	})
}

// object builds a custom resource from YAML (the fields as users write them).
func object(t *testing.T, apiVersion, kind, ns, name, spec string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if err := yaml.Unmarshal([]byte(spec), &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}

func createObject(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, u *unstructured.Unstructured) {
	t.Helper()
	if _, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(context.Background(), u, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating %s %s: %v", gvr.Resource, u.GetName(), err)
	}
}

// patchObject applies a JSON merge patch, to the status when status is set.
func patchObject(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name, patch string, status bool) {
	t.Helper()
	var sub []string
	if status {
		sub = []string{"status"}
	}
	if _, err := dyn.Resource(gvr).Namespace(ns).Patch(context.Background(), name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}, sub...); err != nil {
		t.Fatalf("patching %s %s: %v", gvr.Resource, name, err)
	}
}

func deleteObject(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource, ns, name string) {
	t.Helper()
	if err := dyn.Resource(gvr).Namespace(ns).Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting %s %s: %v", gvr.Resource, name, err)
	}
}

// loadBalancer creates a LoadBalancer Service selecting sel and gives it the address ip.
func loadBalancer(t *testing.T, e *k8senv.Env, ns, name, ip string, sel map[string]string) {
	t.Helper()
	s := service(ns, name, "", svcPort{"https", corev1.ProtocolTCP, 443})
	s.Spec.Type = corev1.ServiceTypeLoadBalancer
	s.Spec.Selector = sel
	create(t, e, s)
	if ip != "" {
		setLoadBalancer(t, e, ns, name, corev1.LoadBalancerIngress{IP: ip})
	}
}

// TestIstioSource follows VirtualServices bound to Istio Gateways and ServiceEntries on the
// real API server, with Istio's CRDs from istio.io/api.
func TestIstioSource(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.IstioAPI, "kubernetes/customresourcedefinitions.gen.yaml")
	dyn := e.Dynamic(t)
	ns := e.Namespace(t, "istio")
	logs := captureLog(t)
	port := harness.FreePort(t)
	podPort := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s
        private istio.internal {
            istio
            namespaces %s
        }
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s
        private istio.internal {
            istio
            inside
            namespaces %s
        }
    }
}
`, port, e.Kubeconfig, ns, podPort, e.Kubeconfig, ns))
	podAddr := fmt.Sprintf("127.0.0.1:%d", podPort)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	name := func(host string) string { return host + "." + ns + ".istio.internal." }
	expect := func(host string, want string) {
		t.Helper()
		harness.Expect(t, within, addr, name(host), dns.TypeA, want)
	}

	// two gateways, each fronted by a LoadBalancer Service selecting its pods; the labels
	// carry the namespace so no other test's Service matches
	second := map[string]string{"istio": "second-" + ns, "app": "gw"}
	loadBalancer(t, e, ns, "first-gw", "10.129.1.1", map[string]string{"istio": "first-" + ns, "app": "first"})
	loadBalancer(t, e, ns, "second-gw", "10.129.1.2", second)
	createObject(t, dyn, istioGatewayGVR, object(t, "networking.istio.io/v1", "Gateway", ns, "first", fmt.Sprintf(`
spec:
  selector: {istio: first-%s}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: ["*/*.%s.istio.internal"]
    tls: {mode: SIMPLE, credentialName: cert}`, ns, ns)))
	createObject(t, dyn, istioGatewayGVR, object(t, "networking.istio.io/v1", "Gateway", ns, "second", fmt.Sprintf(`
spec:
  selector: {istio: second-%s}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["./shop.%s.istio.internal", "other/*"]`, ns, ns)))

	// a VirtualService bound to the first gateway answers with its load balancer
	vs := func(vsName, host string, gateways ...string) *unstructured.Unstructured {
		return object(t, "networking.istio.io/v1", "VirtualService", ns, vsName, fmt.Sprintf(`
spec:
  hosts: [%s]
  gateways: [%s]
  http:
  - route:
    - destination: {host: shop}`, strings.TrimSuffix(name(host), "."), strings.Join(gateways, ", ")))
	}
	createObject(t, dyn, vsGVR, vs("shop", "shop", ns+"/first"))
	expect("shop", "NOERROR: A 10.129.1.1")
	harness.Expect(t, within, podAddr, name("shop"), dns.TypeA, "NOERROR: A "+getService(t, e, ns, "first-gw").Spec.ClusterIP)
	// settle creates one more VirtualService and waits for its answer: every earlier
	// VirtualService event has then been applied
	settle := func() {
		t.Helper()
		n := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
		createObject(t, dyn, vsGVR, vs(n, n, ns+"/first"))
		expect(n, "NOERROR: A 10.129.1.1")
	}

	// a tenant copies the gateway's selector onto a load balancer of its own: ignored, as the
	// gateway's Services are those of the Gateway's namespace
	tenant := e.Namespace(t, "tenant")
	loadBalancer(t, e, tenant, "thief", "10.129.1.66", map[string]string{"istio": "first-" + ns})
	// the gateway's address changes: the answer follows (and shows that the thief's
	// Service, an earlier Service event, did not join it)
	setLoadBalancer(t, e, ns, "first-gw", corev1.LoadBalancerIngress{IP: "10.129.1.9"})
	expect("shop", "NOERROR: A 10.129.1.9")
	setLoadBalancer(t, e, ns, "first-gw", corev1.LoadBalancerIngress{IP: "10.129.1.1"})
	expect("shop", "NOERROR: A 10.129.1.1")

	// re-bound to the second gateway, by a bare name (the VirtualService's namespace)
	patchObject(t, dyn, vsGVR, ns, "shop", `{"spec":{"gateways":["second"]}}`, false)
	expect("shop", "NOERROR: A 10.129.1.2")
	// the second gateway accepts only its own host: another VirtualService bound to it is not served
	createObject(t, dyn, vsGVR, vs("cart", "cart", "second"))
	settle()
	harness.ExpectNow(t, addr, name("cart"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, name("shop"), dns.TypeA, "NOERROR: A 10.129.1.2")
	// the Gateway's servers change: cart is accepted
	patchObject(t, dyn, istioGatewayGVR, ns, "second", fmt.Sprintf(`{"spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["./*.%s.istio.internal"]}]}}`, ns), false)
	expect("cart", "NOERROR: A 10.129.1.2")

	// deleted: gone, the rest stays
	deleteObject(t, dyn, vsGVR, ns, "shop")
	settle()
	harness.ExpectNow(t, addr, name("shop"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, name("cart"), dns.TypeA, "NOERROR: A 10.129.1.2")

	// ServiceEntries: spec.addresses, or the addresses Istio allocated in status
	createObject(t, dyn, serviceEntryGVR, object(t, "networking.istio.io/v1", "ServiceEntry", ns, "db", fmt.Sprintf(`
spec:
  hosts: [db.%s.istio.internal]
  addresses: [192.0.2.10, 192.0.2.0/24]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 192.0.2.10}]`, ns)))
	expect("db", "NOERROR: A 192.0.2.10")
	harness.Expect(t, within, podAddr, name("db"), dns.TypeA, "NOERROR: A 192.0.2.10") // Everyone's
	createObject(t, dyn, serviceEntryGVR, object(t, "networking.istio.io/v1", "ServiceEntry", ns, "api", fmt.Sprintf(`
spec:
  hosts: [api.%s.istio.internal]
  ports: [{number: 443, name: https, protocol: TLS}]
  resolution: DNS`, ns)))
	patchObject(t, dyn, serviceEntryGVR, ns, "api", fmt.Sprintf(`{"status":{"addresses":[{"value":"240.240.0.5","host":"api.%s.istio.internal"}]}}`, ns), true)
	expect("api", "NOERROR: A 240.240.0.5")

	// a bad host is skipped and logged; the rest of the zone keeps serving
	createObject(t, dyn, serviceEntryGVR, object(t, "networking.istio.io/v1", "ServiceEntry", ns, "bad", fmt.Sprintf(`
spec:
  hosts: ["bad!host.%s.istio.internal", good.%s.istio.internal]
  addresses: [192.0.2.11]
  ports: [{number: 80, name: http, protocol: HTTP}]`, ns, ns)))
	expect("good", "NOERROR: A 192.0.2.11")
	logs.expectLogged(t, fmt.Sprintf(`ServiceEntry %s/bad: host "bad!host.%s.istio.internal" is not a DNS name: skipped`, ns, ns))
	harness.ExpectNow(t, addr, name("db"), dns.TypeA, "NOERROR: A 192.0.2.10")
	harness.ExpectNow(t, addr, name("cart"), dns.TypeA, "NOERROR: A 10.129.1.2")

	deleteObject(t, dyn, serviceEntryGVR, ns, "db")
	deleteObject(t, dyn, serviceEntryGVR, ns, "bad")
	// a sentinel ServiceEntry: once it answers, both deletes have been applied
	n := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
	createObject(t, dyn, serviceEntryGVR, object(t, "networking.istio.io/v1", "ServiceEntry", ns, n, fmt.Sprintf(`
spec:
  hosts: [%s]
  addresses: [192.0.2.12]
  ports: [{number: 80, name: http, protocol: HTTP}]`, strings.TrimSuffix(name(n), "."))))
	expect(n, "NOERROR: A 192.0.2.12")
	harness.ExpectNow(t, addr, name("db"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, name("good"), dns.TypeA, "NXDOMAIN: ")
}

// TestKnativeSource follows Knative Routes and DomainMappings on the real API server, with
// Knative Serving's CRDs from knative.dev/serving: Knative's controller is played by the
// test, which writes the Routes' status.url.
func TestKnativeSource(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.KnativeServing, "config/core/300-resources/route.yaml", "config/core/300-resources/domain-mapping.yaml")
	dyn := e.Dynamic(t)
	ns := e.Namespace(t, "knative")
	logs := captureLog(t)
	pods, peered := harness.FreePort(t), harness.FreePort(t)
	zone := fmt.Sprintf(`
        private apps.internal {
            knative %s/kourier %s/kourier-internal
            namespaces %s
        }`, ns, ns, ns)
	insideZone := strings.Replace(zone, "namespaces", "inside\n            namespaces", 1)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %s%s
    }
}
.:%d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %s%s
    }
}
`, pods, e.Kubeconfig, insideZone, peered, e.Kubeconfig, zone))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)
	name := func(host string) string { return host + "." + ns + ".apps.internal." }
	expect := func(host string, want string) {
		t.Helper()
		harness.Expect(t, within, peerAddr, name(host), dns.TypeA, want)
	}

	loadBalancer(t, e, ns, "kourier", "10.129.2.1", map[string]string{"app": "3scale-kourier-gateway"})
	internal := service(ns, "kourier-internal", "", svcPort{"http", corev1.ProtocolTCP, 80})
	create(t, e, internal)

	route := func(routeName string, labels map[string]string) {
		t.Helper()
		r := object(t, "serving.knative.dev/v1", "Route", ns, routeName, `
spec:
  traffic: [{configurationName: hello, percent: 100}]`)
		r.SetLabels(labels)
		createObject(t, dyn, knativeRouteGVR, r)
	}
	setURL := func(routeName, url string) {
		t.Helper()
		patchObject(t, dyn, knativeRouteGVR, ns, routeName, fmt.Sprintf(`{"status":{"url":%q}}`, url), true)
	}
	// settle creates one more Route with its URL and waits for its answer
	settle := func() {
		t.Helper()
		n := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
		route(n, nil)
		setURL(n, "http://"+strings.TrimSuffix(name(n), "."))
		expect(n, "NOERROR: A 10.129.2.1")
	}

	// a Route has no name until Knative reports its URL
	route("hello", nil)
	settle()
	harness.ExpectNow(t, peerAddr, name("hello"), dns.TypeA, "NXDOMAIN: ")
	setURL("hello", "https://"+strings.TrimSuffix(name("hello"), "."))
	expect("hello", "NOERROR: A 10.129.2.1")
	// the URL changes (a new domain template): the name follows
	setURL("hello", "https://"+strings.TrimSuffix(name("hi"), "."))
	expect("hi", "NOERROR: A 10.129.2.1")
	harness.ExpectNow(t, peerAddr, name("hello"), dns.TypeA, "NXDOMAIN: ")

	// a cluster-local Route never shows in the peered view
	route("private", map[string]string{"networking.knative.dev/visibility": "cluster-local"})
	setURL("private", "http://"+strings.TrimSuffix(name("private"), "."))
	settle()
	harness.Stays(t, 300*time.Millisecond, peerAddr, name("private"), dns.TypeA, "NXDOMAIN: ")
	localIP := getService(t, e, ns, "kourier-internal").Spec.ClusterIP
	harness.ExpectNow(t, podAddr, name("private"), dns.TypeA, "NOERROR: A "+localIP) // pods: the local gateway
	harness.ExpectNow(t, podAddr, name("hi"), dns.TypeA, "NOERROR: A "+localIP)

	// a DomainMapping's name is its domain
	domainMapping := func(host string) {
		t.Helper()
		createObject(t, dyn, domainMappingGVR, object(t, "serving.knative.dev/v1beta1", "DomainMapping", ns, strings.TrimSuffix(name(host), "."), `
spec:
  ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: hello}`))
	}
	domainMapping("blog")
	expect("blog", "NOERROR: A 10.129.2.1")
	harness.Expect(t, within, podAddr, name("blog"), dns.TypeA, "NOERROR: A "+localIP)

	// the gateway's load balancer changes: every name follows
	setLoadBalancer(t, e, ns, "kourier", corev1.LoadBalancerIngress{IP: "10.129.2.9"})
	expect("hi", "NOERROR: A 10.129.2.9")
	expect("blog", "NOERROR: A 10.129.2.9")
	setLoadBalancer(t, e, ns, "kourier", corev1.LoadBalancerIngress{IP: "10.129.2.1"})
	expect("hi", "NOERROR: A 10.129.2.1")

	// a URL that is no DNS name is skipped and logged; the rest keeps serving
	route("bad", nil)
	setURL("bad", "http://bad!host."+ns+".apps.internal")
	logs.expectLogged(t, fmt.Sprintf(`Route %s/bad: host "bad!host.%s.apps.internal" is not a DNS name: skipped`, ns, ns))
	harness.ExpectNow(t, peerAddr, name("hi"), dns.TypeA, "NOERROR: A 10.129.2.1")

	// deleted: gone
	deleteObject(t, dyn, knativeRouteGVR, ns, "hello")
	settle()
	harness.ExpectNow(t, peerAddr, name("hi"), dns.TypeA, "NXDOMAIN: ")
	deleteObject(t, dyn, domainMappingGVR, ns, strings.TrimSuffix(name("blog"), "."))
	n := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
	domainMapping(n)
	expect(n, "NOERROR: A 10.129.2.1")
	harness.ExpectNow(t, peerAddr, name("blog"), dns.TypeA, "NXDOMAIN: ")
}
