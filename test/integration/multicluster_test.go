package integration

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clusterdns/clusterdns/test/harness"
	"github.com/clusterdns/clusterdns/test/k8senv"

	"github.com/miekg/dns"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	mcscrd "sigs.k8s.io/mcs-api/config/crd"
	"sigs.k8s.io/yaml"
)

var siGVR = schema.GroupVersionResource{Group: "multicluster.x-k8s.io", Version: "v1alpha1", Resource: "serviceimports"}

// installServiceImportCRD installs the ServiceImport CRD as sigs.k8s.io/mcs-api ships it
// (config/crd, embedded by the module at the version go.mod pins, the one CoreDNS's
// kubernetes plugin is built with) and waits until it is served.
func installServiceImportCRD(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	ctx := context.Background()
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(mcscrd.ServiceImportCRD, &crd.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := dyn.Resource(siGVR).Namespace("default").List(ctx, metav1.ListOptions{}); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("ServiceImport CRD not served after 30s")
		}
		time.Sleep(100 * time.Millisecond) // polling a condition with a deadline
	}
}

func serviceImport(ns, name, typ string, ips []string, ports ...svcPort) *unstructured.Unstructured {
	var ps []any
	for _, p := range ports {
		ps = append(ps, map[string]any{"name": p.name, "protocol": string(p.proto), "port": int64(p.port)})
	}
	spec := map[string]any{"type": typ, "ports": ps}
	if ps == nil {
		spec["ports"] = []any{}
	}
	if len(ips) > 0 {
		var v []any
		for _, ip := range ips {
			v = append(v, ip)
		}
		spec["ips"] = v
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": siGVR.GroupVersion().String(), "kind": "ServiceImport",
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     spec,
	}}
}

// importSlice is an EndpointSlice of a ServiceImport, from cluster.
func importSlice(ns, name, svc, cluster string, family discoveryv1.AddressType, ports []svcPort, eps ...endpoint) *discoveryv1.EndpointSlice {
	s := slice(ns, name, svc, family, ports, eps...)
	s.Labels = map[string]string{"multicluster.kubernetes.io/service-name": svc, "multicluster.kubernetes.io/source-cluster": cluster}
	return s
}

// TestMultiClusterAgainstKubernetesPlugin is the differential pair of `multicluster`: the
// same ServiceImports and imported EndpointSlices, in the CRD mcs-api ships, asked of both
// plugins in a block serving cluster.local and the multicluster zone clusterset.local.
func TestMultiClusterAgainstKubernetesPlugin(t *testing.T) {
	e := k8senv.Get(t)
	// noendpoints: the plugin reads imported EndpointSlices whatever the option; pods
	// insecure: pod names in every zone; the others as in the cluster zone
	// minData: identical answers with records needed for the comparison to prove something
	// (ignore empty_service empties the imports without endpoints)
	for _, tc := range []struct {
		options string
		minData int
	}{
		{"", 40},
		{"noendpoints\n        pods insecure", 40},
		{"ignore empty_service\n        endpoint_pod_names\n        ttl 30", 35},
	} {
		t.Run("options="+strings.ReplaceAll(tc.options, "\n        ", ","), func(t *testing.T) { multiClusterDifferential(t, e, tc.options, tc.minData) })
	}
}

func multiClusterDifferential(t *testing.T, e *k8senv.Env, options string, minData int) {
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	installServiceImportCRD(t, dyn)
	ours, theirs := harness.FreePort(t), harness.FreePort(t)
	block := func(plugin string, port int) string {
		return fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    %s cluster.local clusterset.local {
        kubeconfig %s
        multicluster clusterset.local
        %s
    }
}
`, port, plugin, e.Kubeconfig, options)
	}
	harness.Start(t, block("clusterdns", ours)+block("kubernetes", theirs))
	ns := e.Namespace(t, "mcs")
	ctx := context.Background()
	si := dyn.Resource(siGVR).Namespace(ns)
	http := svcPort{"http", "TCP", 80}
	for _, o := range []*unstructured.Unstructured{
		serviceImport(ns, "web", "ClusterSetIP", []string{"10.100.0.1"}, http, svcPort{"dns", "UDP", 53}),
		serviceImport(ns, "dual", "ClusterSetIP", []string{"10.100.0.2", "fd00::2"}, http),
		serviceImport(ns, "db", "Headless", nil, svcPort{"pg", "TCP", 5432}),
		serviceImport(ns, "noports", "ClusterSetIP", []string{"10.100.0.3"}),
		serviceImport(ns, "empty", "Headless", nil, http),
	} {
		if _, err := si.Create(ctx, o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pg := []svcPort{{"pg", "TCP", 5432}}
	create(t, e,
		importSlice(ns, "web-c1", "web", "c1", discoveryv1.AddressTypeIPv4, []svcPort{http}, endpoint{ip: "10.244.1.1", hostname: "w0"}),
		importSlice(ns, "db-c1", "db", "c1", discoveryv1.AddressTypeIPv4, pg,
			endpoint{ip: "10.244.1.10", hostname: "db-0"}, endpoint{ip: "10.244.1.11", pod: "db-pod-x"}),
		importSlice(ns, "db-c2", "db", "c2", discoveryv1.AddressTypeIPv4, pg,
			endpoint{ip: "10.244.2.10", hostname: "db-0"}, endpoint{ip: "10.244.2.11", hostname: "db-1"}),
		importSlice(ns, "db-c2-v6", "db", "c2", discoveryv1.AddressTypeIPv6, pg, endpoint{ip: "fd00::2:12"}),
		// the cluster's own Service of the same name: in cluster.local only
		service(ns, "web", "", http), // a ClusterIP the API server allocates
		slice(ns, "web-own", "web", discoveryv1.AddressTypeIPv4, []svcPort{http}, endpoint{ip: "10.244.0.1", hostname: "w0"}),
	)
	// the last objects created: once both answer them, both have seen everything (one
	// watch delivers a kind's events in order)
	if _, err := si.Create(ctx, serviceImport(ns, "last", "Headless", nil, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create(t, e, importSlice(ns, "last-c1", "last", "c1", discoveryv1.AddressTypeIPv4, []svcPort{http}, endpoint{ip: "10.244.9.9"}))
	oursAddr, theirsAddr := fmt.Sprintf("127.0.0.1:%d", ours), fmt.Sprintf("127.0.0.1:%d", theirs)
	for _, a := range []string{oursAddr, theirsAddr} {
		harness.Eventually(t, 10*within, "imports indexed at "+a, func() (bool, string) {
			m := harness.Query(t, a, "10-244-9-9.c1.last."+ns+".svc.clusterset.local.", dns.TypeA)
			o := harness.Query(t, a, "web."+ns+".svc.cluster.local.", dns.TypeA)
			return len(m.Answer) > 0 && len(o.Answer) > 0, harness.Answers(m) + "; " + harness.Answers(o)
		})
	}

	var names []string
	for _, zone := range []string{"clusterset.local.", "cluster.local."} {
		for _, n := range []string{"web", "dual", "db", "noports", "empty", "last", "missing",
			"_http._tcp.web", "_dns._udp.web", "_pg._tcp.db", "_http._tcp.dual", "http.tcp.web",
			"w0.web", "w0.c1.web", "w0.c2.web", "db-0.c1.db", "db-0.c2.db", "db-1.c2.db", "db-0.db",
			"10-244-1-11.c1.db", "db-pod-x.c1.db", "fd00--2-12.c2.db", "10-244-1-11.db", "x.y.c1.db"} {
			names = append(names, n+"."+ns+".svc."+zone)
		}
		names = append(names, zone, "svc."+zone, "pod."+zone, "dns-version."+zone, "ns.dns."+zone,
			ns+".pod."+zone, "10-1-2-3."+ns+".pod."+zone, ns+".svc."+zone, "missing-ns.svc."+zone)
	}
	types := []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeSRV, dns.TypeTXT, dns.TypeSOA, dns.TypeNS}
	exists := map[string]bool{}
	type exchange struct {
		name         string
		qt           uint16
		ours, theirs string
	}
	var exchanges []exchange
	for _, name := range names {
		for _, qt := range types {
			mo, mt := harness.Query(t, oursAddr, name, qt), harness.Query(t, theirsAddr, name, qt)
			exchanges = append(exchanges, exchange{name, qt, summarize(mo), summarize(mt)})
			if mt.Rcode == dns.RcodeSuccess {
				exists[name] = true
			}
			if mt.Rcode == dns.RcodeSuccess && len(mt.Answer) > 0 {
				for n := name; n != ""; _, n, _ = strings.Cut(n, ".") {
					exists[n] = true
				}
			}
		}
	}
	var same, sameWithData, documented int
	for _, x := range exchanges {
		switch {
		case x.ours == x.theirs:
			same++
			if !strings.Contains(x.ours, "an: \n") {
				sameWithData++
			}
		case knownDifference(exists[x.name], x.qt, x.ours, x.theirs):
			documented++
		default:
			t.Errorf("%s %s differs\n clusterdns: %s\n kubernetes: %s", x.name, dns.TypeToString[x.qt], x.ours, x.theirs)
		}
	}
	t.Logf("%d queries identical (%d with records), %d with a documented difference", same, sameWithData, documented)
	if sameWithData < minData {
		t.Errorf("only %d identical answers carry records: the comparison proves too little", sameWithData)
	}
}

// TestMultiClusterFollowsTheAPI: ServiceImports and imported EndpointSlices created,
// changed and deleted on the API server show in a multicluster zone within the bound;
// negative answers are checked after a sentinel import shows.
func TestMultiClusterFollowsTheAPI(t *testing.T) {
	e := k8senv.Get(t)
	rc, err := clientcmd.BuildConfigFromFlags("", e.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	installServiceImportCRD(t, dyn)
	port := harness.FreePort(t)
	harness.Start(t, fmt.Sprintf(`.:%d {
    bind 127.0.0.1
    clusterdns cluster.local clusterset.local {
        kubeconfig %s
        multicluster clusterset.local
    }
}
`, port, e.Kubeconfig))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ns := e.Namespace(t, "mcs-follow")
	ctx := context.Background()
	si := dyn.Resource(siGVR).Namespace(ns)
	name := func(s string) string { return s + "." + ns + ".svc.clusterset.local." }
	http := svcPort{"http", "TCP", 80}

	if _, err := si.Create(ctx, serviceImport(ns, "web", "ClusterSetIP", []string{"10.100.1.1"}, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, name("web"), dns.TypeA, "NOERROR: A 10.100.1.1")
	// a new ClusterSetIP
	web, err := si.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedStringSlice(web.Object, []string{"10.100.1.2"}, "spec", "ips"); err != nil {
		t.Fatal(err)
	}
	if _, err := si.Update(ctx, web, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	harness.Expect(t, within, addr, name("web"), dns.TypeA, "NOERROR: A 10.100.1.2")

	// a headless import gains endpoints from a cluster, then loses them
	if _, err := si.Create(ctx, serviceImport(ns, "db", "Headless", nil, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create(t, e, importSlice(ns, "db-c1", "db", "c1", discoveryv1.AddressTypeIPv4, []svcPort{http}, endpoint{ip: "10.244.3.1", hostname: "db-0"}))
	harness.Expect(t, within, addr, "db-0.c1."+name("db"), dns.TypeA, "NOERROR: A 10.244.3.1")
	if err := e.Client.DiscoveryV1().EndpointSlices(ns).Delete(ctx, "db-c1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := si.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// sentinels, one per watch: an import and an imported slice created after the deletes
	if _, err := si.Create(ctx, serviceImport(ns, "sentinel", "ClusterSetIP", []string{"10.100.1.9"}, http), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create(t, e, importSlice(ns, "sentinel-c1", "sentinel", "c1", discoveryv1.AddressTypeIPv4, []svcPort{http}, endpoint{ip: "10.244.3.9", hostname: "s"}))
	harness.Expect(t, within, addr, name("sentinel"), dns.TypeA, "NOERROR: A 10.100.1.9")
	harness.Expect(t, within, addr, "s.c1."+name("sentinel"), dns.TypeA, "NOERROR: A 10.244.3.9")
	harness.ExpectNow(t, addr, name("web"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, "db-0.c1."+name("db"), dns.TypeA, "NXDOMAIN: ")
	harness.ExpectNow(t, addr, name("db"), dns.TypeA, "NXDOMAIN: ") // headless without endpoints
}
