package integration

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
)

var (
	crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	vsGVR  = schema.GroupVersionResource{Group: "networking.istio.io", Version: "v1", Resource: "virtualservices"}
)

func virtualService(ns, name string, hosts []string, gateways ...string) *unstructured.Unstructured {
	var h, g []any
	for _, s := range hosts {
		h = append(h, s)
	}
	for _, s := range gateways {
		g = append(g, s)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "networking.istio.io/v1",
		"kind":       "VirtualService",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec":       map[string]any{"hosts": h, "gateways": g},
	}}
}

// setLoadBalancer writes a Service's status the way a cloud controller does.
func setLoadBalancer(t *testing.T, e *k8senv.Env, ns, name string, ingress ...corev1.LoadBalancerIngress) {
	t.Helper()
	s := getService(t, e, ns, name)
	s.Status.LoadBalancer.Ingress = ingress
	if _, err := e.Client.CoreV1().Services(ns).UpdateStatus(context.Background(), s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestPrivateZonesFollowTheAPI runs the two views the shipped Corefile has: the pods' view
// (cluster zone plus private zones) and the peered clients' view (private zones only).
func TestPrivateZonesFollowTheAPI(t *testing.T) {
	e := k8senv.Get(t)
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(rc)
	e.InstallCRDs(t, k8senv.IstioAPI, "kubernetes/customresourcedefinitions.gen.yaml")
	ns := e.Namespace(t, "private")
	ctx := context.Background()

	notifications := make(chan string, 100)
	notifyAddr := listenNotify(t, notifications)
	pods, peered := harness.FreePort(t), harness.FreePort(t)
	zones := fmt.Sprintf(`
        private mycompany.internal {
            services
            ingresses
        }
        private mesh.private {
            mesh %s/mesh-gateway
        }`, ns)
	// transfers are configured as for any CoreDNS zone
	xfr := fmt.Sprintf(`
    transfer mycompany.internal {
        to 127.0.0.1 %s
    }`, notifyAddr)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1%s
    clusterdns cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s%s
    }
}
.:%d {
    bind 127.0.0.1%s
    clusterdns {
        kubeconfig %s%s
        private 10.in-addr.arpa
    }
}
`, pods, xfr, e.Kubeconfig, zones, peered, xfr, e.Kubeconfig, zones))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)
	both := func(name string, qtype uint16, want string) {
		t.Helper()
		harness.Expect(t, within, podAddr, name, qtype, want)
		harness.Expect(t, within, peerAddr, name, qtype, want)
	}
	// bothNow asserts at once, after a sentinel: for negative answers
	bothNow := func(name string, qtype uint16, want string) {
		t.Helper()
		harness.ExpectNow(t, podAddr, name, qtype, want)
		harness.ExpectNow(t, peerAddr, name, qtype, want)
	}
	// settle exports one more Service and waits until both views' private zones answer it:
	// they have then applied every earlier Service event (see settleServices)
	settle := func() {
		t.Helper()
		n := sentinels.Add(1)
		name, ip := fmt.Sprintf("sentinel-%d", n), fmt.Sprintf("10.128.255.%d", n&255)
		s := service(ns, name, "", svcPort{"https", corev1.ProtocolTCP, 443})
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Annotations = map[string]string{
			"networking.gke.io/load-balancer-type": "Internal",
			"clusterdns.io/hostname":               name + ".mycompany.internal",
		}
		create(t, e, s)
		setLoadBalancer(t, e, ns, name, corev1.LoadBalancerIngress{IP: ip})
		both(name+".mycompany.internal.", dns.TypeA, "NOERROR: A "+ip)
	}
	// settleMesh does the same with a VirtualService, for VirtualService events
	settleMesh := func() {
		t.Helper()
		name := fmt.Sprintf("sentinel-%d", sentinels.Add(1))
		if _, err := dyn.Resource(vsGVR).Namespace(ns).Create(ctx,
			virtualService(ns, name, []string{name + ".mesh.private"}, "istio-system/external-mesh"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		both(name+".mesh.private.", dns.TypeA, "NOERROR: A 10.128.7.1")
	}

	// an internal load balancer, annotated with a hostname
	api := service(ns, "api", "", svcPort{"https", corev1.ProtocolTCP, 443})
	api.Spec.Type = corev1.ServiceTypeLoadBalancer
	api.Annotations = map[string]string{
		"networking.gke.io/load-balancer-type": "Internal",
		"clusterdns.io/hostname":               "api.mycompany.internal, api.elsewhere.example",
	}
	create(t, e, api)
	settle()
	bothNow("api.mycompany.internal.", dns.TypeA, "NXDOMAIN: ") // no address yet
	setLoadBalancer(t, e, ns, "api", corev1.LoadBalancerIngress{IP: "10.128.5.1"})
	both("api.mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.5.1")
	both("api."+ns+".mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.5.1")
	both("_https._tcp.api.mycompany.internal.", dns.TypeSRV, "NOERROR: SRV 0 100 443 api.mycompany.internal.")
	harness.Expect(t, within, peerAddr, "1.5.128.10.in-addr.arpa.", dns.TypePTR, "NOERROR: PTR api.mycompany.internal., PTR api."+ns+".mycompany.internal.")
	select {
	case z := <-notifications:
		if z != "mycompany.internal." {
			t.Fatalf("NOTIFY for %s", z)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no NOTIFY after the zone changed")
	}

	// the peered view answers its zones only: no cluster names, no recursion
	harness.Expect(t, within, peerAddr, "api."+ns+".svc.cluster.local.", dns.TypeA, "REFUSED: ")
	harness.Expect(t, within, peerAddr, "kubernetes.default.svc.cluster.local.", dns.TypeA, "REFUSED: ")
	harness.Expect(t, within, peerAddr, "example.com.", dns.TypeA, "REFUSED: ")
	harness.Expect(t, within, peerAddr, "api.elsewhere.example.", dns.TypeA, "REFUSED: ")
	harness.Expect(t, within, podAddr, "api."+ns+".svc.cluster.local.", dns.TypeA, "NOERROR: A "+getService(t, e, ns, "api").Spec.ClusterIP)

	// the same name claimed again, later: it stays its first claimant's (TestClaims has
	// the whole rule); twin's own name shows the server saw twin
	twin := service(ns, "twin", "", svcPort{"http", corev1.ProtocolTCP, 80})
	twin.Spec.Type = corev1.ServiceTypeLoadBalancer
	twin.Annotations = map[string]string{"external-dns.alpha.kubernetes.io/hostname": "api.mycompany.internal"}
	create(t, e, twin)
	setLoadBalancer(t, e, ns, "twin", corev1.LoadBalancerIngress{IP: "10.128.5.2"})
	both("twin."+ns+".mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.5.2")
	bothNow("api.mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.5.1")

	// a load balancer with a hostname (AWS) is a CNAME
	setLoadBalancer(t, e, ns, "twin", corev1.LoadBalancerIngress{Hostname: "internal-twin.elb.example.com"})
	both("twin."+ns+".mycompany.internal.", dns.TypeCNAME, "NOERROR: CNAME internal-twin.elb.example.com.")
	bothNow("api.mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.5.1")

	// not exported any more: gone, and the next claimant has the name
	api = getService(t, e, ns, "api")
	api.Annotations = nil
	if _, err := e.Client.CoreV1().Services(ns).Update(ctx, api, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	settle()
	bothNow("api."+ns+".mycompany.internal.", dns.TypeA, "NXDOMAIN: ")
	bothNow("api.mycompany.internal.", dns.TypeCNAME, "NOERROR: CNAME internal-twin.elb.example.com.")
	if err := e.Client.CoreV1().Services(ns).Delete(ctx, "twin", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	settle()
	bothNow("api.mycompany.internal.", dns.TypeA, "NXDOMAIN: ")

	// Ingress hosts, wildcards included
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns}}
	ing.Spec.Rules = []networkingv1.IngressRule{{Host: "shop.mycompany.internal"}, {Host: "*.apps.mycompany.internal"}, {Host: "shop.example.com"}}
	ing, err = e.Client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.128.6.1"}}
	if _, err := e.Client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	both("shop.mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.6.1")
	both("Anything.APPS.mycompany.internal.", dns.TypeA, "NOERROR: A 10.128.6.1")
	both("shop.mycompany.internal.", dns.TypeAAAA, "NOERROR: ")
	// four private zones in two blocks share one watch per kind (only we watch these two)
	for _, resource := range []string{"ingresses", "virtualservices"} {
		harness.Eventually(t, 5*time.Second, "one watch on "+resource, func() (bool, string) {
			n := watches(t, e, resource)
			return n == 1, fmt.Sprint(n, " watches")
		})
	}

	// mesh hosts: VirtualServices bound to external-mesh get the gateway's address
	gw := service(ns, "mesh-gateway", "", svcPort{"https", corev1.ProtocolTCP, 443})
	gw.Spec.Type = corev1.ServiceTypeLoadBalancer
	create(t, e, gw)
	setLoadBalancer(t, e, ns, "mesh-gateway", corev1.LoadBalancerIngress{IP: "10.128.7.1"})
	vs := dyn.Resource(vsGVR).Namespace(ns)
	if _, err := vs.Create(ctx, virtualService(ns, "ads", []string{"ads.mesh.private"}, "istio-system/external-mesh"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := vs.Create(ctx, virtualService(ns, "internal", []string{"internal.mesh.private"}, "mesh"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	both("ads.mesh.private.", dns.TypeA, "NOERROR: A 10.128.7.1")
	settleMesh()
	bothNow("internal.mesh.private.", dns.TypeA, "NXDOMAIN: ") // not bound to external-mesh
	bothNow("adz.mesh.private.", dns.TypeA, "NXDOMAIN: ")      // a typo fails fast
	patch := []byte(`[{"op":"replace","path":"/spec/hosts","value":["ads2.mesh.private"]}]`)
	if _, err := vs.Patch(ctx, "ads", types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	both("ads2.mesh.private.", dns.TypeA, "NOERROR: A 10.128.7.1")
	bothNow("ads.mesh.private.", dns.TypeA, "NXDOMAIN: ") // the same event as ads2

	// zone transfer to the listed address, over TCP, through CoreDNS's transfer plugin
	names, soa := axfr(t, podAddr, "mycompany.internal.")
	if len(names) < 3 || names[0] != "mycompany.internal. SOA" || names[len(names)-1] != "mycompany.internal. SOA" || !strings.Contains(strings.Join(names, ","), "shop.mycompany.internal. A") {
		t.Fatalf("AXFR gave %v", names)
	}
	// IXFR over TCP: the SOA alone for a secondary that is current, the whole zone for one
	// that is behind (RFC 1995 §4 allows a whole zone for an incremental one)
	tcp := &dns.Client{Net: "tcp"}
	m := new(dns.Msg)
	m.SetIxfr("mycompany.internal.", soa.Serial, "ns.dns.mycompany.internal.", "hostmaster.mycompany.internal.")
	if r, _, err := tcp.Exchange(m, podAddr); err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeSOA {
		t.Fatalf("IXFR of the current serial: %v %v", r, err)
	}
	m.SetIxfr("mycompany.internal.", soa.Serial-1, "ns.dns.mycompany.internal.", "hostmaster.mycompany.internal.")
	if r, _, err := tcp.Exchange(m, podAddr); err != nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) < 3 {
		t.Fatalf("IXFR of an older serial: %v %v", r, err)
	}
	// Over UDP the transfer plugin refuses AXFR and IXFR alike, as for every CoreDNS zone
	// (an IXFR over UDP used to get the SOA alone, RFC 1995 §2); a name that is not the
	// zone's is NOTAUTH; the cluster zone, and a private zone the transfer plugin is not
	// configured for, are refused.
	m = new(dns.Msg)
	m.SetIxfr("mycompany.internal.", 1, "ns.dns.mycompany.internal.", "hostmaster.mycompany.internal.")
	if r, err := dns.Exchange(m, podAddr); err != nil || r.Rcode != dns.RcodeRefused {
		t.Fatalf("IXFR over UDP: %v %v", r, err)
	}
	harness.Expect(t, within, podAddr, "mycompany.internal.", dns.TypeAXFR, "REFUSED: ")
	m = new(dns.Msg)
	m.SetAxfr("shop.mycompany.internal.")
	if r, _, err := tcp.Exchange(m, podAddr); err != nil || r.Rcode != dns.RcodeNotAuth {
		t.Fatalf("AXFR below the apex: %v %v", r, err)
	}
	for _, zone := range []string{"cluster.local.", "mesh.private."} {
		m.SetAxfr(zone)
		if r, _, err := tcp.Exchange(m, podAddr); err != nil || r.Rcode != dns.RcodeRefused {
			t.Fatalf("AXFR of %s: %v %v", zone, r, err)
		}
	}
}

// axfr transfers zone over TCP and returns its records as "NAME TYPE", and its SOA.
func axfr(t *testing.T, addr, zone string) ([]string, *dns.SOA) {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr(zone)
	env, err := new(dns.Transfer).In(m, addr)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var soa *dns.SOA
	for e := range env {
		if e.Error != nil {
			t.Fatal(e.Error)
		}
		for _, rr := range e.RR {
			names = append(names, rr.Header().Name+" "+dns.TypeToString[rr.Header().Rrtype])
			if s, ok := rr.(*dns.SOA); ok && soa == nil {
				soa = s
			}
		}
	}
	if soa == nil {
		t.Fatalf("AXFR of %s: no SOA", zone)
	}
	return names, soa
}

// listenNotify receives NOTIFY messages on a loopback UDP port and sends their zones to ch.
func listenNotify(t *testing.T, ch chan<- string) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode == dns.OpcodeNotify && len(r.Question) == 1 {
			select {
			case ch <- r.Question[0].Name:
			default:
			}
		}
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}
