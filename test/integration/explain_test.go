package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/explain"
	"github.com/clusterdns/clusterdns/test/bindtest"
	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	coretest "github.com/coredns/coredns/test"
	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestExplainEndpoint asks the explain endpoint on the metrics listener, as `clusterdns
// explain` does, why names answer what they answer: a cluster name (its Service), a
// private zone's names from each source (a Service, an Ingress, an HTTPRoute, a
// DNSEndpoint, the zone file's line), a claim that lost, and a stub name (its resolver).
// The peered clients' block explains its private zones and nothing of the cluster zone.
func TestExplainEndpoint(t *testing.T) {
	e := k8senv.Get(t)
	e.InstallCRDs(t, k8senv.GatewayAPI, "config/crd/standard/gateway.networking.k8s.io_gateway*.yaml",
		"config/crd/standard/gateway.networking.k8s.io_httproutes.yaml")
	e.InstallCRDs(t, k8senv.ExternalDNS, "config/crd/standard/dnsendpoints.externaldns.k8s.io.yaml")
	e.InstallCRDs(t, k8senv.IstioAPI, "kubernetes/customresourcedefinitions.gen.yaml")
	e.InstallCRDs(t, k8senv.KnativeServing, "config/core/300-resources/route.yaml", "config/core/300-resources/domain-mapping.yaml")
	ns := e.Namespace(t, "explain")
	ctx := context.Background()
	dyn := e.Dynamic(t)
	bind := bindtest.Start(t, bindtest.Zone{Origin: "myco.com.", File: "../../plugin/clusterdns/stub/testdata/db.myco.com"})

	zoneFile := filepath.Join(t.TempDir(), "db.exp.internal")
	file := "$ORIGIN exp.internal.\n$TTL 30\n@ IN SOA ns hostmaster 1 7200 1800 86400 30\n@ IN NS ns\nns IN A 10.0.0.53\nstatic IN A 10.0.0.7\n"
	if err := os.WriteFile(zoneFile, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	pods, peered, metricsPort := harness.FreePort(t), harness.FreePort(t), harness.FreePort(t)
	private := fmt.Sprintf(`
        private exp.internal {
            file %s
            services annotated
            ingresses
            gateways
            dnsendpoints
            istio
            knative %s/kourier
            nodeports
            magic
        }`, zoneFile, ns)
	harness.Start(t, fmt.Sprintf(`.:%[1]d {
    bind 127.0.0.1
    clusterdns cluster.local {
        kubeconfig %[3]s
        explain
        stub myco.com %[4]s%[5]s
    }
    prometheus 127.0.0.1:%[6]d
}
.:%[2]d {
    bind 127.0.0.1
    clusterdns {
        kubeconfig %[3]s
        explain%[5]s
    }
    prometheus 127.0.0.1:%[6]d
}
`, pods, peered, e.Kubeconfig, bind.Addr, private, metricsPort))
	podAddr, peerAddr := fmt.Sprintf("127.0.0.1:%d", pods), fmt.Sprintf("127.0.0.1:%d", peered)
	ask := func(port int, name, typ string) explain.Answer {
		t.Helper()
		a, err := explain.Fetch(ctx, http.DefaultClient, explain.Query{Server: fmt.Sprintf("127.0.0.1:%d", metricsPort),
			Name: name, Type: typ, Port: strconv.Itoa(port)})
		if err != nil {
			t.Fatalf("explain %s %s: %v", name, typ, err)
		}
		return a
	}
	// expect checks the answer records' sources, in order, and the owners of lost claims
	expect := func(a explain.Answer, zone, kind, rcode string, sources []string, lost ...string) {
		t.Helper()
		var buf bytes.Buffer
		explain.Print(&buf, a)
		var got []string
		for _, r := range a.Records {
			if r.Section == "answer" {
				got = append(got, r.Source)
			}
		}
		var gotLost []string
		for _, l := range a.Lost {
			gotLost = append(gotLost, l.Owner)
		}
		if a.Zone != zone || a.Kind != kind || a.Rcode != rcode || strings.Join(got, ",") != strings.Join(sources, ",") ||
			strings.Join(gotLost, ",") != strings.Join(lost, ",") {
			t.Errorf("explained:\n%s\nwant zone %q (%s), %s, sources %v, lost %v", buf.String(), zone, kind, rcode, sources, lost)
		}
	}

	// a cluster Service, and an internal load balancer claiming a private name twice
	create(t, e, service(ns, "web", "", svcPort{"http", corev1.ProtocolTCP, 80}))
	for _, name := range []string{"lb", "lb2"} {
		s := service(ns, name, "", svcPort{"https", corev1.ProtocolTCP, 443})
		s.Spec.Type = corev1.ServiceTypeLoadBalancer
		s.Annotations = map[string]string{"clusterdns.io/hostname": "lb.exp.internal"}
		create(t, e, s)
		if name == "lb" {
			setLoadBalancer(t, e, ns, name, corev1.LoadBalancerIngress{IP: "10.128.30.1"})
		} else {
			setLoadBalancer(t, e, ns, name, corev1.LoadBalancerIngress{IP: "10.128.30.9"})
		}
	}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns}}
	ing.Spec.Rules = []networkingv1.IngressRule{{Host: "shop.exp.internal"}}
	ing, err := e.Client.NetworkingV1().Ingresses(ns).Create(ctx, ing, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.128.30.2"}}
	if _, err := e.Client.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	listener := map[string]any{"name": "http", "protocol": "HTTP", "port": int64(80)}
	if _, err := dyn.Resource(gatewayGVR("v1", "gateways")).Namespace(ns).Create(ctx,
		gatewayObject("v1", "Gateway", ns, "gw", map[string]any{"gatewayClassName": "any", "listeners": []any{listener}}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(gatewayGVR("v1", "httproutes")).Namespace(ns).Create(ctx,
		httpRoute(ns, "route", "gw", "route.exp.internal"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	setGatewayAddresses(t, dyn, ns, "gw", "10.128.30.3")
	if _, err := dyn.Resource(dnsEndpointGVR).Namespace(ns).Create(ctx,
		dnsEndpointObj(ns, "records", "ep.exp.internal A 10.128.30.4"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// an Istio ServiceEntry, a Knative DomainMapping behind its gateway Service, a NodePort
	// Service on a Ready node
	createObject(t, dyn, serviceEntryGVR, object(t, "networking.istio.io/v1", "ServiceEntry", ns, "db", `
spec:
  hosts: [db.exp.internal]
  addresses: [192.0.2.10]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: STATIC`))
	loadBalancer(t, e, ns, "kourier", "10.128.30.5", map[string]string{"app": "kourier-" + ns})
	createObject(t, dyn, domainMappingGVR, object(t, "serving.knative.dev/v1beta1", "DomainMapping", ns, "blog.exp.internal", `
spec:
  ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: hello}`))
	node := ns + "-node"
	if _, err := e.Client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Client.CoreV1().Nodes().Delete(context.Background(), node, metav1.DeleteOptions{}) })
	n, err := e.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.201.30.1"}}
	if _, err := e.Client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	np := service(ns, "np", "", svcPort{"http", corev1.ProtocolTCP, 80})
	np.Spec.Type = corev1.ServiceTypeNodePort
	np.Annotations = map[string]string{"clusterdns.io/export": "true"}
	create(t, e, np)

	svcName := "web." + ns + ".svc.cluster.local."
	harness.Expect(t, within, podAddr, svcName, dns.TypeSRV, "NOERROR: SRV 0 100 80 "+svcName)
	for name, want := range map[string]string{
		"lb.exp.internal.": "NOERROR: A 10.128.30.1", "shop.exp.internal.": "NOERROR: A 10.128.30.2",
		"route.exp.internal.": "NOERROR: A 10.128.30.3", "ep.exp.internal.": "NOERROR: A 10.128.30.4",
		"db.exp.internal.": "NOERROR: A 192.0.2.10", "blog.exp.internal.": "NOERROR: A 10.128.30.5",
	} {
		harness.Expect(t, within, podAddr, name, dns.TypeA, want)
		harness.Expect(t, within, peerAddr, name, dns.TypeA, want)
	}
	harness.Expect(t, within, podAddr, "database.myco.com.", dns.TypeA, "NOERROR: A 10.1.0.10")
	harness.Eventually(t, within, "the NodePort Service answered at its node", func() (bool, string) {
		got := harness.Answers(harness.Query(t, podAddr, "np."+ns+".exp.internal.", dns.TypeA))
		return strings.Contains(got, "10.201.30.1"), got
	})

	expect(ask(pods, svcName, "SRV"), "cluster.local.", "cluster", "NOERROR", []string{"Service " + ns + "/web"})
	expect(ask(pods, "_http._tcp."+svcName, "SRV"), "cluster.local.", "cluster", "NOERROR", []string{"Service " + ns + "/web"})
	for _, port := range []int{pods, peered} {
		expect(ask(port, "lb.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"Service " + ns + "/lb"}, "Service "+ns+"/lb2")
		expect(ask(port, "shop.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"Ingress " + ns + "/shop"})
		expect(ask(port, "route.exp.internal", ""), "exp.internal.", "private", "NOERROR", []string{"HTTPRoute " + ns + "/route"})
		expect(ask(port, "ep.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"DNSEndpoint " + ns + "/records"})
		expect(ask(port, "static.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{zoneFile + ":6"})
		expect(ask(port, "db.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"ServiceEntry " + ns + "/db"})
		expect(ask(port, "blog.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"DomainMapping " + ns + "/blog.exp.internal"})
		expect(ask(port, "app.10-0-0-1.exp.internal", "A"), "exp.internal.", "private", "NOERROR", []string{"magic (the address written in the name)"})
		// node ports: one record per eligible node of the whole (shared) API server, each the Service's
		a := ask(port, "np."+ns+".exp.internal", "A")
		var nodeSources []string
		for _, r := range a.Records {
			if r.Section == "answer" {
				nodeSources = append(nodeSources, r.Source)
			}
		}
		if a.Rcode != "NOERROR" || len(nodeSources) == 0 || slices.ContainsFunc(nodeSources, func(s string) bool { return s != "Service "+ns+"/np" }) {
			t.Errorf("node ports explained: %+v", a)
		}
	}
	expect(ask(pods, "database.myco.com", "A"), "myco.com.", "stub", "NOERROR", []string{"stub " + bind.Addr})

	// the peered view sees neither the cluster zone nor the stub zone
	expect(ask(peered, svcName, "SRV"), "", "", "REFUSED", nil)
	expect(ask(peered, "database.myco.com", "A"), "", "", "REFUSED", nil)

	// the private zone's and the source's metrics are on the same listener
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`coredns_clusterdns_private_zone_records{view="outside",zone="exp.internal."} `,
		`coredns_clusterdns_private_zone_serial{view="outside",zone="exp.internal."} `,
		`coredns_clusterdns_private_zone_rebuilds_total{view="outside",zone="exp.internal."} `,
		`coredns_clusterdns_private_zone_rebuild_duration_seconds_count{view="outside",zone="exp.internal."} `,
		`coredns_clusterdns_claims_conflicts{view="outside",zone="exp.internal."} 1`,
		`kind="httproute"`, `kind="ingress"`, `kind="dnsendpoint"`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// explain without a prometheus plugin in its server block is a start error that says so.
func TestExplainNeedsPrometheus(t *testing.T) {
	zoneFile := filepath.Join(t.TempDir(), "db.exp.internal")
	if err := os.WriteFile(zoneFile, []byte("$ORIGIN exp.internal.\n@ 30 IN SOA ns hostmaster 1 7200 1800 86400 30\n@ 30 IN NS ns\nns 30 IN A 10.0.0.53\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	i, err := coretest.CoreDNSServer(fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns {
        explain
        private exp.internal {
            file %s
        }
    }
}
`, harness.FreePort(t), zoneFile))
	if err == nil {
		i.Stop()
		i.ShutdownCallbacks()
		t.Fatal("started without a prometheus plugin to serve explain on")
	}
	if !strings.Contains(err.Error(), "explain: the server block has no prometheus plugin") {
		t.Fatalf("error %q: want it to say explain needs the prometheus plugin", err)
	}
}
